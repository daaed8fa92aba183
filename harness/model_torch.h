/* harness/model_torch.h — `ablate model --bench --peers torch,ort,openvino`
 * (--torch = --peers torch): each peer run on the same model, size and
 * thread count -- PyTorch eager (scripts/torch_model_peer.py), ONNX Runtime
 * and OpenVINO (scripts/peer_model.py, from .venv-peers) -- and our
 * end-to-end median as a ratio of its. */
#ifndef ABLATE_MODEL_TORCH_H
#define ABLATE_MODEL_TORCH_H

#include "model.h"

/* Prints the peer's line and "ours / peer"; when the peer cannot run
 * (no torch, no .venv-peers, the script failed) prints why it was skipped.
 * peer: "torch" | "ort" | "openvino".  Returns 0 when the ratio was
 * printed, 1 when skipped (not an error of the bench). */
int model_peer(const struct model *m, const char *peer, int imgsz, int threads, double ours_ms);

#endif
