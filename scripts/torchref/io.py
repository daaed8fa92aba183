"""safetensors, by hand: Debian's python3-torch 1.13 has no safetensors
package, so the goldens, the parity cases and the whole-model golden are
written and read here (the format: an 8-byte LE header length, a JSON
header, raw LE data)."""
import json
import os
import struct

import numpy as np
import torch

_DTYPES = {torch.float32: ('F32', 4), torch.int64: ('I64', 8)}
_DTYPES_BACK = {'F32': torch.float32, 'I64': torch.int64}


def write_safetensors(path, tensors, metadata=None):
    """8-byte LE header length, JSON header padded with spaces to a multiple of
    8, then raw LE data.  8-byte dtypes go first so every tensor is aligned to
    its element size (as the reference writer does)."""
    names = sorted(tensors, key=lambda n: -_DTYPES[tensors[n].dtype][1])
    header, blobs, pos = {}, [], 0
    for n in names:
        t = tensors[n].detach().contiguous().cpu()
        dname, _ = _DTYPES[t.dtype]
        data = t.numpy().astype(t.numpy().dtype.newbyteorder('<')).tobytes()
        header[n] = {'dtype': dname, 'shape': list(t.shape), 'data_offsets': [pos, pos + len(data)]}
        blobs.append(data)
        pos += len(data)
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    hdr = json.dumps(header, separators=(',', ':')).encode()
    hdr += b' ' * (-len(hdr) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(hdr)))
        f.write(hdr)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_safetensors(path):
    """Returns ({name: tensor}, metadata dict)."""
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    base = 8 + n
    out = {}
    for name, e in header.items():
        b, end = e['data_offsets']
        npdt = {'F32': '<f4', 'I64': '<i8'}[e['dtype']]
        arr = np.frombuffer(raw[base + b:base + end], dtype=npdt).reshape(e['shape'])
        out[name] = torch.from_numpy(arr.copy())
    return out, meta


def state_tensors(m):
    """Every state_dict tensor under its PyTorch key (float32 / int64)."""
    return {k: v.detach().clone() for k, v in m.state_dict().items()}
