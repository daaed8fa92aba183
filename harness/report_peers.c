/* harness/report_peers.c — report.md's "Deployment peers" section: per
 * configuration our fastest passing kernel beside PyTorch eager, ONNX
 * Runtime and OpenVINO from the same run, the fastest peer and our
 * speed-up over it.  Kept apart from the comparison table so that table's
 * layout can change on its own. */
#include <math.h>
#include <string.h>

#include "report.h"

/* A peer's cell: median when it passed, else its status (a wrong export
 * reads fail_parity, not a fast time), "-" when the run has no such row. */
static void peer_md(FILE *f, const struct result_row *r)
{
    if (!r)
        fputs(" - |", f);
    else if (!strcmp(r->status, "ok") && !isnan(r->median_ms))
        fprintf(f, " %.4g |", r->median_ms);
    else
        fprintf(f, " %s |", r->status);
}

static int has_peers(const struct report_in *in)
{
    for (int i = 0; i < in->nv; i++)
        for (int p = 0; p < VIEW_PEERS; p++)
            if (in->v[i].peer[p])
                return 1;
    return 0;
}

void report_md_peers(FILE *f, const struct report_in *in)
{
    if (!has_peers(in))
        return;
    fputs("\n## Deployment peers (same run)\n\n"
          "| site | threads | module | args | ours ms | torch ms | ort ms | openvino ms | fastest peer | speed-up |\n"
          "|---|---|---|---|---|---|---|---|---|---|\n",
          f);
    for (int i = 0; i < in->nv; i++) {
        const struct config_view *c = &in->v[i];
        const struct result_row *g = c->best_gen, *fp = results_view_fastest_peer(c);
        char site[64];
        results_site_label(c->id, site, sizeof site);
        fprintf(f, "| %s | %d | %s | %s |", site, c->id->threads, c->id->module,
                strcmp(c->id->role, "baseline") ? c->id->args : "(baseline)");
        if (g)
            fprintf(f, " %.4g |", g->median_ms);
        else
            fputs(" - |", f);
        for (int p = 0; p < VIEW_PEERS; p++)
            peer_md(f, c->peer[p]);
        if (fp && g)
            fprintf(f, " %s | %.2fx |\n", fp->impl, fp->median_ms / g->median_ms);
        else
            fprintf(f, " %s | - |\n", fp ? fp->impl : "-");
    }
    fputs("\nours: the fastest generated kernel that passed parity; torch: PyTorch eager; ort, openvino: the "
          "same PyTorch module exported to ONNX (opset 16) and run by ONNX Runtime / OpenVINO (f32) with the "
          "row's threads, checked against the reference output (docs/peers.md); speed-up: the fastest "
          "passing peer's median over ours (> 1: ours is faster).\n",
          f);
}
