#!/usr/bin/env python3
"""Fixtures for tests/unit/{zip,torch-pickle}.test.ts, made with real torch.save.

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tools/formats/make_format_fixtures.py

Writes tests/fixtures/formats/*.pt (and zip64.zip) and, for each readable file, a JSON file of the
values torch itself reads back: {"torch": version, "folder": ..., "tensors": [{"name", "dtype",
"shape", "values"}]} with values flattened row-major as float32 (half and bfloat16 widened).
Nothing here is needed at test time. The *-torch2.pt fixtures are these files re-saved by a
PyTorch 2.x (tools/formats/check_torch2.py, run where one is installed); rerunning this script gives
the same bytes, so they stay valid.
"""
import io
import json
import os
import struct
import sys
import zipfile
import zlib
from collections import OrderedDict

import torch

OUT = os.path.join('tests', 'fixtures', 'formats')
MARKER = '/tmp/tuned-lens-malicious-pickle-ran'


def expected(state, folder):
    tensors = []
    for name, tensor in state.items():
        tensors.append({
            'name': name,
            'dtype': str(tensor.dtype).replace('torch.', ''),
            'shape': list(tensor.shape),
            'values': tensor.detach().float().contiguous().flatten().tolist(),
        })
    return {'torch': torch.__version__, 'folder': folder, 'tensors': tensors}


def write_json(name, value):
    # One tensor per line: small diffs when fixtures are regenerated.
    head = {k: v for k, v in value.items() if k != 'tensors'}
    lines = [json.dumps(t) for t in value['tensors']]
    text = json.dumps(head)[:-1] + ', "tensors": [\n' + ',\n'.join(lines) + '\n]}\n'
    json.loads(text)
    with open(os.path.join(OUT, name), 'w') as f:
        f.write(text)


def folder_of(path):
    with zipfile.ZipFile(path) as z:
        return z.namelist()[0].split('/')[0]


def save_checked(state, path, expected_folder):
    """torch.save to a path, load it back with torch, and record what torch reads."""
    torch.save(state, path)
    folder = folder_of(path)
    assert folder == expected_folder, (path, folder)
    loaded = torch.load(path)
    assert list(loaded.keys()) == list(state.keys())
    for k in state:
        assert torch.equal(loaded[k], state[k]), k
    return expected(loaded, folder)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    # What tuned-lens saves: ModuleList(...).state_dict(), an OrderedDict carrying _metadata.
    translators = torch.nn.ModuleList([torch.nn.Linear(4, 4), torch.nn.Linear(4, 4)])
    state = translators.state_dict()
    assert hasattr(state, '_metadata')

    # 1. A path save: the zip folder is the file's stem.
    write_json('linear2.json', save_checked(state, os.path.join(OUT, 'linear2.pt'), 'linear2'))

    # 2. A buffer save: the zip folder is "archive".
    buffer = io.BytesIO()
    torch.save(state, buffer)
    data = buffer.getvalue()
    with open(os.path.join(OUT, 'linear2-buffer.pt'), 'wb') as f:
        f.write(data)
    assert folder_of(os.path.join(OUT, 'linear2-buffer.pt')) == 'archive'
    write_json('linear2-buffer.json', expected(torch.load(io.BytesIO(data)), 'archive'))

    # 3. Half and bfloat16 lenses.
    half = torch.nn.ModuleList([torch.nn.Linear(4, 4), torch.nn.Linear(4, 4)]).half()
    write_json('half.json', save_checked(half.state_dict(), os.path.join(OUT, 'half.pt'), 'half'))
    bf16 = torch.nn.ModuleList([torch.nn.Linear(4, 4)]).to(torch.bfloat16)
    write_json('bfloat16.json', save_checked(bf16.state_dict(), os.path.join(OUT, 'bfloat16.pt'), 'bfloat16'))

    # 4. Views saved directly: torch saves the whole storage with the view's offset and strides.
    base = torch.randn(3, 4)
    strided = OrderedDict([
        ('transposed', base.t()),                       # [4, 3], strides (1, 4)
        ('slice', base[1:, 1:3]),                       # [2, 2], offset 5, strides (4, 1)
        ('column', base[:, 2]),                         # [3], offset 2, stride (4,)
        ('expanded', torch.arange(3.0).expand(2, 3)),   # [2, 3], strides (0, 1)
        ('scalar', torch.tensor(3.5)),                  # [], no strides
        ('empty', torch.zeros(0, 3)),                   # [0, 3]
        ('parameter', torch.nn.Parameter(torch.randn(2, 3))),  # _rebuild_parameter
    ])
    assert not strided['transposed'].is_contiguous()
    # A plain dict (EMPTY_DICT), not an OrderedDict, as a hand-made state dict would be.
    write_json('strided.json', save_checked(dict(strided), os.path.join(OUT, 'strided.pt'), 'strided'))

    # 5. A truncated download: the first half of linear2.pt.
    with open(os.path.join(OUT, 'linear2.pt'), 'rb') as f:
        whole = f.read()
    with open(os.path.join(OUT, 'truncated.pt'), 'wb') as f:
        f.write(whole[: len(whole) // 2])

    # 6. The same entries re-zipped with deflate.
    with zipfile.ZipFile(os.path.join(OUT, 'linear2.pt')) as src, \
            zipfile.ZipFile(os.path.join(OUT, 'compressed.pt'), 'w', zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(fixed_time(info.filename, zipfile.ZIP_DEFLATED), src.read(info.filename))

    # 7. Malicious pickles, built by hand and NEVER loaded here: they would run `touch MARKER`.
    command = f'touch {MARKER}'.encode()
    # protocol 2: GLOBAL 'os system', BINUNICODE command, TUPLE1, REDUCE, STOP
    os_system = b'\x80\x02cos\nsystem\nX' + struct.pack('<I', len(command)) + command + b'\x85R.'
    # protocol 4: SHORT_BINUNICODE 'builtins', 'exec', STACK_GLOBAL, the code, TUPLE1, REDUCE, STOP
    code = f"open({MARKER!r}, 'w').close()".encode()
    builtins_exec = (b'\x80\x04\x8c\x08builtins\x8c\x04exec\x93X' + struct.pack('<I', len(code)) + code
                     + b'\x85R.')
    for name, pickled in [('malicious.pt', os_system), ('malicious-stack-global.pt', builtins_exec)]:
        with zipfile.ZipFile(os.path.join(OUT, name), 'w', zipfile.ZIP_STORED) as z:
            z.writestr(fixed_time('archive/data.pkl'), pickled)
            z.writestr(fixed_time('archive/version'), '3\n')
    # Check the bytes are the attack they claim to be, by disassembling (not loading) them.
    import pickletools
    for pickled, words in [(os_system, ('os system', 'REDUCE')), (builtins_exec, ('STACK_GLOBAL', 'REDUCE'))]:
        listing = io.StringIO()
        pickletools.dis(pickled, out=listing)
        assert all(w in listing.getvalue() for w in words), listing.getvalue()

    # 8. A zip whose central directory uses zip64 fields for sizes and offsets, as torch's writer
    #    does past 4 GB (built by hand: nobody wants a 4 GB fixture).
    write_zip64(os.path.join(OUT, 'zip64.zip'), [
        ('archive/hello.txt', b'hello, zip64\n'),
        ('archive/data/0', struct.pack('<4f', 1.0, -2.5, 0.125, 3.0e38)),
    ])
    with zipfile.ZipFile(os.path.join(OUT, 'zip64.zip')) as z:
        assert z.testzip() is None
        assert z.read('archive/hello.txt') == b'hello, zip64\n'
    print('wrote fixtures to', OUT, 'with torch', torch.__version__)


def fixed_time(name, compress_type=zipfile.ZIP_STORED):
    """A ZipInfo dated 1980-01-01, so regenerating the fixtures gives the same bytes."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = compress_type
    return info


def write_zip64(path, entries):
    out = bytearray()
    central = bytearray()
    for name, data in entries:
        name_bytes = name.encode()
        crc = zlib.crc32(data)
        offset = len(out)
        local_extra = struct.pack('<HHQQ', 1, 16, len(data), len(data))
        out += struct.pack('<IHHHHHIIIHH', 0x04034b50, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                           len(name_bytes), len(local_extra))
        out += name_bytes + local_extra + data
        extra = struct.pack('<HHQQQ', 1, 24, len(data), len(data), offset)
        central += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 45, 45, 0, 0, 0, 0x21, crc,
                               0xFFFFFFFF, 0xFFFFFFFF, len(name_bytes), len(extra), 0, 0, 0, 0, 0xFFFFFFFF)
        central += name_bytes + extra
    cd_offset = len(out)
    out += central
    zip64_end = len(out)
    out += struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, len(entries), len(entries),
                       len(central), cd_offset)
    out += struct.pack('<IIQI', 0x07064b50, 0, zip64_end, 1)
    out += struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(path, 'wb') as f:
        f.write(out)


if __name__ == '__main__':
    if not os.path.isdir(os.path.join('tests', 'fixtures')):
        sys.exit('run from the repository root')
    main()
