#!/usr/bin/env python3
"""Proves PyTorch reads what src/lens/formats/torch-save.ts writes.

    npx tsx tools/formats/write-torch-save-sample.ts
    /usr/bin/python3 tools/formats/check_torch_save.py

torch.loads tests/fixtures/formats/torch-save-sample.pt (plainly and with weights_only=True), checks
it is an OrderedDict of contiguous float32 CPU tensors whose zip entries are 64-byte aligned, and
writes what torch read to tests/fixtures/formats/torch-save-roundtrip.json, which
tests/unit/torch-save.test.ts compares with our writer's output.
"""
import json
import os
import struct
import sys
import zipfile
from collections import OrderedDict

import torch

PT = os.path.join('tests', 'fixtures', 'formats', 'torch-save-sample.pt')
OUT = os.path.join('tests', 'fixtures', 'formats', 'torch-save-roundtrip.json')


def main():
    with open(PT, 'rb') as f:
        raw = f.read()
    state = torch.load(PT)
    safe = torch.load(PT, weights_only=True)
    assert type(state) is OrderedDict, type(state)
    assert list(safe.keys()) == list(state.keys())

    tensors = []
    for name, tensor in state.items():
        assert isinstance(tensor, torch.Tensor) and tensor.dtype == torch.float32, (name, tensor.dtype)
        assert tensor.device.type == 'cpu' and tensor.is_contiguous() and not tensor.requires_grad, name
        assert torch.equal(safe[name], tensor), name
        tensors.append({
            'name': name,
            'shape': list(tensor.shape),
            # float32 bits as well as values: JSON cannot tell -0 from 0 once parsed by some readers.
            'bits': [struct.unpack('<I', struct.pack('<f', v))[0] for v in tensor.flatten().tolist()],
            'values': tensor.flatten().tolist(),
        })

    # The translators load into the module tuned-lens builds, strictly.
    lens = torch.nn.ModuleList([torch.nn.Linear(4, 4), torch.nn.Linear(4, 4)])
    lens.load_state_dict({k: v for k, v in state.items() if k[0] in '01' and '.' in k}, strict=True)

    alignments = {}
    with zipfile.ZipFile(PT) as z:
        for info in z.infolist():
            name_len, extra_len = struct.unpack('<HH', raw[info.header_offset + 26: info.header_offset + 30])
            start = info.header_offset + 30 + name_len + extra_len
            alignments[info.filename] = start % 64
            assert info.compress_type == zipfile.ZIP_STORED
        assert z.testzip() is None
        names = z.namelist()
    assert all(a == 0 for a in alignments.values()), alignments

    head = {'torch': torch.__version__, 'file': 'torch-save-sample.pt', 'bytes': len(raw),
            'entries': names, 'loaded_type': f'{type(state).__module__}.{type(state).__name__}'}
    text = json.dumps(head)[:-1] + ', "tensors": [\n' + ',\n'.join(json.dumps(t) for t in tensors) + '\n]}\n'
    json.loads(text)
    with open(OUT, 'w') as f:
        f.write(text)
    print(f'torch {torch.__version__} read {len(tensors)} tensors from {PT}; wrote {OUT}')


if __name__ == '__main__':
    if not os.path.isfile(PT):
        sys.exit(f'{PT} is missing: run npx tsx tools/formats/write-torch-save-sample.ts first')
    main()
