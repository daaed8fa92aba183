/* harness/model_torch.h — `ablate model --bench --torch`: the PyTorch
 * eager peer (scripts/torch_model_peer.py) run on the same model, size and
 * thread count, and our end-to-end median as a ratio of its. */
#ifndef ABLATE_MODEL_TORCH_H
#define ABLATE_MODEL_TORCH_H

#include "model.h"

/* Prints the peer's line and "ours / PyTorch"; when /usr/bin/python3 has no
 * torch (or the script fails) prints why it was skipped.  Returns 0 when
 * the ratio was printed, 1 when skipped (not an error of the bench). */
int model_torch_peer(const struct model *m, int imgsz, int threads, double ours_ms);

#endif
