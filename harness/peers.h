/* harness/peers.h — the deployment peers: the PyTorch module exported to
 * ONNX and run by ONNX Runtime or OpenVINO (scripts/peer_run.py for sweep
 * rows, scripts/peer_model.py for whole models).  The engines live in a
 * virtual environment made by `make peers`: ROOT/.venv-peers, or the folder
 * named by ABLATE_PEERS_VENV.  Without it every peer row is `skipped` with
 * the reason and the install command, and the sweep goes on. */
#ifndef ABLATE_PEERS_H
#define ABLATE_PEERS_H

#include <stddef.h>

enum peer_engine { PEER_ORT, PEER_OPENVINO, PEER_ENGINES };

/* "ort" | "openvino": the backend word and the rows' impl. */
const char *peer_impl(enum peer_engine e);
/* "ONNX Runtime" | "OpenVINO". */
const char *peer_long_name(enum peer_engine e);
/* The engine named by a backend word, or -1. */
int peer_from_name(const char *name);

/* The peers' python (VENV/bin/python) in py: 0 when it is executable;
 * -1 with the reason in why ("no virtual environment at X (make peers)"). */
int peer_python(const char *root, char *py, size_t pylen, char *why, size_t whylen);

/* s inside single quotes for sh; 0, or -1 when it does not fit. */
int sh_quote(const char *s, char *out, size_t outlen);

/* Appends the engine's rows for every ref configuration of csv (timed with
 * parity, or skipped with the reason) and the engine version to meta.json.
 * Problems are said on stderr; the sweep goes on. */
void peer_sweep_rows(const char *root, const char *csv, enum peer_engine e, int quick);

#endif
