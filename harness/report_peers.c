/* harness/report_peers.c — the reports' "Deployment peers (same run)"
 * table: per configuration our fastest passing kernel beside PyTorch
 * eager, ONNX Runtime and OpenVINO from the same run, the fastest peer and
 * our speed-up over it.  The cells are made here once; report.md gets
 * them as Markdown (below), report.html as an HTML table (report_html.c).
 * Kept apart from the comparison table so that table's layout can change
 * on its own. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

const char *const report_peer_headers[REPORT_PEER_COLS] = {
    "site", "threads", "module", "args", "ours ms", "torch ms", "ort ms", "openvino ms", "fastest peer", "speed-up"};

const char *const report_peer_note =
    "ours: the fastest generated kernel that passed parity; torch: PyTorch eager; ort, openvino: the "
    "same PyTorch module exported to ONNX (opset 16) and run by ONNX Runtime / OpenVINO (f32) with the "
    "row's threads, checked against the reference output (docs/peers.md); speed-up: the fastest "
    "passing peer's median over ours (> 1: ours is faster).";

/* A peer's cell: median when it passed, else its status (a wrong export
 * reads fail_parity, not a fast time), "-" when the run has no such row. */
static void peer_cell(char *cell, size_t len, const struct result_row *r)
{
    if (!r)
        snprintf(cell, len, "-");
    else if (!strcmp(r->status, "ok") && !isnan(r->median_ms))
        snprintf(cell, len, "%.4g", r->median_ms);
    else
        snprintf(cell, len, "%s", r->status);
}

int report_has_peers(const struct report_in *in)
{
    for (int i = 0; i < in->nv; i++)
        for (int p = 0; p < VIEW_PEERS; p++)
            if (in->v[i].peer[p])
                return 1;
    return 0;
}

void report_peer_cells(const struct config_view *c, char cell[REPORT_PEER_COLS][REPORT_PEER_CELL])
{
    const struct result_row *g = c->best_gen, *fp = results_view_fastest_peer(c);
    results_site_label(c->id, cell[0], sizeof cell[0]);
    snprintf(cell[1], sizeof cell[1], "%d", c->id->threads);
    snprintf(cell[2], sizeof cell[2], "%s", c->id->module);
    snprintf(cell[3], sizeof cell[3], "%s", strcmp(c->id->role, "baseline") ? c->id->args : "(baseline)");
    if (g)
        snprintf(cell[4], sizeof cell[4], "%.4g", g->median_ms);
    else
        snprintf(cell[4], sizeof cell[4], "-");
    for (int p = 0; p < VIEW_PEERS; p++)
        peer_cell(cell[5 + p], sizeof cell[5 + p], c->peer[p]);
    snprintf(cell[8], sizeof cell[8], "%s", fp ? fp->impl : "-");
    if (fp && g)
        snprintf(cell[9], sizeof cell[9], "%.2fx", fp->median_ms / g->median_ms);
    else
        snprintf(cell[9], sizeof cell[9], "-");
}

void report_md_peers(FILE *f, const struct report_in *in)
{
    if (!report_has_peers(in))
        return;
    fputs("\n## Deployment peers (same run)\n\n|", f);
    for (int k = 0; k < REPORT_PEER_COLS; k++)
        fprintf(f, " %s |", report_peer_headers[k]);
    fputs("\n|", f);
    for (int k = 0; k < REPORT_PEER_COLS; k++)
        fputs("---|", f);
    fputc('\n', f);
    for (int i = 0; i < in->nv; i++) {
        char cell[REPORT_PEER_COLS][REPORT_PEER_CELL];
        report_peer_cells(&in->v[i], cell);
        fputc('|', f);
        for (int k = 0; k < REPORT_PEER_COLS; k++)
            fprintf(f, " %s |", cell[k]);
        fputc('\n', f);
    }
    fprintf(f, "\n%s\n", report_peer_note);
}
