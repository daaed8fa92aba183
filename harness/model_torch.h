/* harness/model_torch.h — `ablate model --bench --peers torch,ort,openvino`
 * (--torch = --peers torch): each peer run on the same model, size and
 * thread count -- PyTorch eager (scripts/torch_model_peer.py), ONNX Runtime
 * and OpenVINO (scripts/peer_model.py, from .venv-peers) -- and our
 * end-to-end median as a ratio of its. */
#ifndef ABLATE_MODEL_TORCH_H
#define ABLATE_MODEL_TORCH_H

#include "model.h"

/* Prints the peer's line and "ours / peer"; otherwise one line saying
 * "NAME peer: skipped (why)" (no torch, no .venv-peers, the engine not
 * installed), "NAME peer: fail_parity (max_abs .., max_rel .., nmse ..):
 * no ratio" (the export changed the output), or "NAME peer: failed (exit
 * status, command)".  peer: "torch" | "ort" | "openvino".  Returns 0 when
 * the ratio was printed, else 1 (not an error of the bench). */
int model_peer(const struct model *m, const char *peer, int imgsz, int threads, double ours_ms);

#endif
