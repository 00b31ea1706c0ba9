#!/usr/bin/env python3
"""Checks against a current PyTorch (2.x), where Debian's 1.13 is all that is installed locally.

    python3 tools/formats/check_torch2.py OUTDIR

1. torch.load reads our writer's tests/fixtures/formats/torch-save-sample.pt with the 2.x defaults
   (weights_only=True since 2.6) and with mmap=True (which needs the 64-byte alignment), and the
   values match tests/fixtures/formats/torch-save-roundtrip.json bit for bit.
2. Re-saves the 1.13 fixtures linear2.pt, half.pt and strided.pt with this torch, as
   OUTDIR/<name>-torch2.pt, so tests can read files in the current format (byteorder,
   .data/serialization_id, .format_version records); the expected values are unchanged.
"""
import json
import os
import struct
import sys
import zipfile

import torch

FIX = os.path.join('tests', 'fixtures', 'formats')


def main(out):
    print('torch', torch.__version__)
    sample = os.path.join(FIX, 'torch-save-sample.pt')
    with open(os.path.join(FIX, 'torch-save-roundtrip.json')) as f:
        expected = json.load(f)
    for kwargs in [{}, {'weights_only': True}, {'mmap': True}, {'mmap': True, 'weights_only': True}]:
        state = torch.load(sample, **kwargs)
        assert type(state).__name__ == 'OrderedDict', type(state)
        assert list(state.keys()) == [t['name'] for t in expected['tensors']]
        for t in expected['tensors']:
            x = state[t['name']]
            assert x.dtype == torch.float32 and list(x.shape) == t['shape'], t['name']
            got = [struct.unpack('<I', struct.pack('<f', v))[0] for v in x.flatten().tolist()]
            assert got == t['bits'], t['name']
        print('loaded our torch-save-sample.pt with', kwargs or 'defaults', ': OK,', len(state), 'tensors')

    for name in ['linear2', 'half', 'strided']:
        state = torch.load(os.path.join(FIX, name + '.pt'), weights_only=True)
        path = os.path.join(out, name + '-torch2.pt')
        torch.save(state, path)
        with zipfile.ZipFile(path) as z:
            print(path, z.namelist())
        again = torch.load(path, weights_only=True)
        for k in state:
            assert torch.equal(again[k], state[k]) and again[k].stride() == state[k].stride(), k
    print('ALL OK')


if __name__ == '__main__':
    main(sys.argv[1])
