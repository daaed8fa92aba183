/* tests/test_results.c — the results CSV: round trip, NaN as empty fields,
 * rows a Python peer appends, a killed writer's half row, header checks. */
#include <criterion/criterion.h>
#include <math.h>

#include "results.h"
#include "test_util.h"

static char dir[64], path[128];

static void setup(void)
{
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/results.csv", dir);
}

static void teardown(void) { remove_dir(dir); }

TestSuite(results, .init = setup, .fini = teardown);

static const char *HEADER = "desc,layer,role,module,args,impl,threads,batch,c_in,h,w,c_out,h_out,w_out,"
                            "params,flops_thop,flops_full,bytes,status,message,median_ms,p10_ms,p90_ms,"
                            "min_ms,samples,gflops,max_abs,max_rel,nmse,load,shard,ratio_vs_base,ratio_ci_lo,ratio_ci_hi,roundtrip_ns,vcpu_skew\n";

static void sample_row(struct result_row *r, int i)
{
    result_row_clear(r);
    snprintf(r->desc, sizeof r->desc, "akconv:num_param=%d:t2:impl=gen:gemm", i);
    snprintf(r->layer, sizeof r->layer, "L%d", i);
    snprintf(r->role, sizeof r->role, "module");
    snprintf(r->module, sizeof r->module, "AKConv");
    snprintf(r->args, sizeof r->args, "grid=ij:num_param=%d", i);
    snprintf(r->impl, sizeof r->impl, "gen:gemm");
    r->threads = 2, r->batch = 1, r->c_in = 16, r->h = 320, r->w = 320;
    r->c_out = 32, r->h_out = 160, r->w_out = 160;
    r->params = 4672 + i, r->flops_thop = 236748800LL * 40, r->flops_full = 12345678901234LL;
    r->bytes = 1 << 20;
    snprintf(r->status, sizeof r->status, "ok");
    r->median_ms = 0.412345678, r->p10_ms = 0.4, r->p90_ms = 0.5, r->min_ms = 0.39;
    r->samples = 57, r->gflops = 12.5, r->max_abs = 1e-6, r->max_rel = 2e-5, r->nmse = 3e-12;
    r->load = 0.1;
    snprintf(r->shard, sizeof r->shard, "1/2");
    r->ratio_vs_base = 0.75, r->ratio_ci_lo = 0.73, r->ratio_ci_hi = 0.78;
    r->roundtrip_ns = 63.5;
    r->vcpu_skew = 1.25;
}

static void write_rows(const struct result_row *rows, int n)
{
    char err[256];
    FILE *f = results_open(path, err, sizeof err);
    cr_assert(f, "%s", err);
    for (int i = 0; i < n; i++)
        cr_assert_eq(results_write(f, &rows[i], err, sizeof err), 0, "%s", err);
    cr_assert_eq(results_flush(f, err, sizeof err), 0, "%s", err);
    cr_assert_eq(fclose(f), 0);
}

static int read_all(struct result_row **rows)
{
    char err[256];
    int n = results_read(path, rows, err, sizeof err);
    cr_assert(n >= 0, "%s", err);
    return n;
}

static void append_text(const char *text)
{
    FILE *f = fopen(path, "a");
    cr_assert(f && fputs(text, f) >= 0 && fclose(f) == 0);
}

static void expect_read_error(const char *want)
{
    struct result_row *rows;
    char err[512], full[640];
    cr_assert_eq(results_read(path, &rows, err, sizeof err), -1);
    snprintf(full, sizeof full, "%s: %s", path, want);
    cr_expect_str_eq(err, full);
}

Test(results, columns_are_the_documented_ones)
{
    char joined[1024] = "";
    for (int i = 0; i < results_ncolumns; i++) {
        strcat(joined, results_columns[i]);
        strcat(joined, i + 1 < results_ncolumns ? "," : "\n");
    }
    cr_expect_eq(results_ncolumns, 36);
    cr_expect_str_eq(joined, HEADER);
}

Test(results, round_trip)
{
    struct result_row in[3];
    for (int i = 0; i < 3; i++)
        sample_row(&in[i], i + 1);
    snprintf(in[1].message, sizeof in[1].message, "cc: error, \"x\" undeclared\nline two");
    snprintf(in[2].message, sizeof in[2].message, "  padded  ");
    write_rows(in, 2);
    write_rows(in + 2, 1); /* reopened: no second header */
    char text[4096];
    slurp(path, text, sizeof text);
    cr_expect_eq(strncmp(text, HEADER, strlen(HEADER)), 0);
    cr_expect_null(strstr(text + 1, "\ndesc,"), "one header only");
    struct result_row *out;
    cr_assert_eq(read_all(&out), 3);
    cr_expect_str_eq(out[0].desc, in[0].desc);
    cr_expect_str_eq(out[0].args, "grid=ij:num_param=1");
    cr_expect_eq(out[0].threads, 2);
    cr_expect_eq(out[0].w_out, 160);
    cr_expect_eq(out[0].params, 4673);
    cr_expect_eq(out[0].flops_full, 12345678901234LL);
    cr_expect_float_eq(out[0].median_ms, 0.412346, 1e-9);
    cr_expect_eq(out[0].samples, 57);
    cr_expect_float_eq(out[0].nmse, 3e-12, 1e-20);
    cr_expect_str_eq(out[0].shard, "1/2");
    cr_expect_float_eq(out[0].ratio_vs_base, 0.75, 1e-12);
    cr_expect_float_eq(out[0].ratio_ci_lo, 0.73, 1e-12);
    cr_expect_float_eq(out[0].ratio_ci_hi, 0.78, 1e-12);
    cr_expect_float_eq(out[0].roundtrip_ns, 63.5, 1e-12);
    cr_expect_float_eq(out[0].vcpu_skew, 1.25, 1e-12);
    cr_expect_str_eq(out[1].message, "cc: error, \"x\" undeclared line two", "line breaks become spaces");
    cr_expect_str_eq(out[2].message, "  padded  ", "quoted, so spaces survive");
    free(out);
}

Test(results, nan_is_an_empty_field)
{
    struct result_row r;
    sample_row(&r, 1);
    r.median_ms = r.p10_ms = r.p90_ms = r.min_ms = r.gflops = NAN;
    r.max_abs = r.max_rel = r.nmse = r.load = NAN;
    r.ratio_vs_base = r.ratio_ci_lo = r.ratio_ci_hi = r.roundtrip_ns = r.vcpu_skew = NAN;
    r.samples = 0;
    snprintf(r.status, sizeof r.status, "crashed");
    write_rows(&r, 1);
    char text[4096];
    slurp(path, text, sizeof text);
    cr_expect(strstr(text, ",crashed,,,,,,0,,,,,,1/2,,,,,\n"), "%s", text);
    struct result_row *out;
    cr_assert_eq(read_all(&out), 1);
    cr_expect(isnan(out[0].median_ms) && isnan(out[0].min_ms) && isnan(out[0].nmse) && isnan(out[0].load));
    cr_expect_eq(out[0].samples, 0);
    free(out);
}

Test(results, missing_file_is_no_rows)
{
    struct result_row *out;
    cr_expect_eq(read_all(&out), 0);
}

Test(results, rows_a_python_peer_appends)
{
    struct result_row r;
    sample_row(&r, 5);
    write_rows(&r, 1);
    /* csv.DictWriter: quotes only when needed, '\n' line ends, '%.6g' numbers */
    append_text("akconv:num_param=5:t2:impl=torch,L5,module,AKConv,grid=ij:num_param=5,torch,2,1,16,320,320,"
                "32,160,160,4677,9469952000,12345678901234,1048576,ok,\"torch 2.1 eager; \"\"retain\"\", x\","
                "1.5,1.4,1.6,1.3,20,8.23,,,,0.050,,,,,,\n");
    struct result_row *out;
    cr_assert_eq(read_all(&out), 2);
    cr_expect_str_eq(out[1].impl, "torch");
    cr_expect_str_eq(out[1].message, "torch 2.1 eager; \"retain\", x");
    cr_expect_float_eq(out[1].median_ms, 1.5, 1e-12);
    cr_expect(isnan(out[1].max_abs));
    cr_expect_str_eq(out[1].shard, "");
    free(out);
}

Test(results, half_written_last_row_is_ignored)
{
    struct result_row r[2];
    sample_row(&r[0], 1);
    sample_row(&r[1], 2);
    write_rows(r, 2);
    append_text("akconv:num_param=3:t2:impl=gen:gemm,L3,module,AKCo");
    struct result_row *out;
    cr_expect_eq(read_all(&out), 2);
    free(out);
    /* Reopening for --resume cuts the half row, so the next row starts on its own line. */
    write_rows(r, 1);
    cr_expect_eq(read_all(&out), 3);
    cr_expect_str_eq(out[2].desc, r[0].desc);
    free(out);
}

Test(results, complete_last_row_without_newline_is_kept)
{
    struct result_row r;
    sample_row(&r, 1);
    write_rows(&r, 1);
    char text[4096];
    slurp(path, text, sizeof text);
    text[strlen(text) - 1] = 0; /* drop the final '\n' */
    write_file(path, text);
    struct result_row *out;
    cr_expect_eq(read_all(&out), 1);
    free(out);
    write_rows(&r, 1);
    cr_expect_eq(read_all(&out), 2);
    free(out);
}

Test(results, header_mismatch)
{
    write_file(path, "desc,layer,rol,module\n");
    expect_read_error("not an ablate results file (header mismatch at column 3: 'rol', expected 'role')");
    write_file(path, "desc,layer\nx,y\n");
    expect_read_error("not an ablate results file (header mismatch at column 3: missing, expected 'role')");
    char text[1024];
    snprintf(text, sizeof text, "%.*s,extra\n", (int)strlen(HEADER) - 1, HEADER);
    write_file(path, text);
    expect_read_error("not an ablate results file (header mismatch at column 37: 'extra', expected end of line)");
    char err[512];
    cr_expect_null(results_open(path, err, sizeof err), "no appending to another file");
    char want[640];
    snprintf(want, sizeof want, "%s: not an ablate results file (header mismatch at column 37: 'extra', "
                                "expected end of line)", path);
    cr_expect_str_eq(err, want);
}

Test(results, short_row_inside_the_file)
{
    struct result_row r;
    sample_row(&r, 1);
    write_rows(&r, 1);
    char text[4096], row[4096];
    slurp(path, text, sizeof text);
    snprintf(row, sizeof row, "%s", text + strlen(HEADER));
    append_text("a,b,c,d,e\n");
    append_text(row);
    expect_read_error("line 3: 5 fields, expected 36");
    char err[512];
    cr_expect_null(results_open(path, err, sizeof err), "a corrupt file is not appended to");
}

Test(results, bad_number)
{
    char text[2048];
    snprintf(text, sizeof text, "%sd,L1,module,AKConv,num_param=1,ref,two,1,1,1,1,1,1,1,1,1,1,1,ok,,,,,,0,,,,,,\n",
             HEADER);
    write_file(path, text);
    expect_read_error("line 2, column 'threads': 'two' is not a number");
}

/* A file an older ablate wrote: HEADER without its last columns (`cut`),
 * then one row with the given tail after the common columns. */
static void write_older_file(const char *cut, const char *row_tail)
{
    char text[2048];
    snprintf(text, sizeof text, "%.*s\nd1,L1,module,AKConv,num_param=1,ref,2,1,16,8,8,32,4,4,10,20,30,40,ok,,"
                                "1.5,1.4,1.6,1.3,7,2.5,,,,0.1%s\n",
             (int)(strlen(HEADER) - strlen(cut)), HEADER, row_tail);
    write_file(path, text);
}

/* Appending to an older file is refused, naming its first missing column. */
static void expect_no_append(const char *missing)
{
    char err[512], want[640];
    cr_expect_null(results_open(path, err, sizeof err), "no appending new-width rows to an old file");
    snprintf(want, sizeof want, "%s: written by an older ablate (no '%s' column): rows cannot be appended "
                                "to it; run into a new --out folder", path, missing);
    cr_expect_str_eq(err, want);
}

/* A file from before the shard column: read with an empty shard; rows of
 * the newer width in it are an error; appending to it is refused. */
Test(results, file_without_shard_column)
{
    write_older_file(",shard,ratio_vs_base,ratio_ci_lo,ratio_ci_hi,roundtrip_ns,vcpu_skew\n", "");
    struct result_row *out;
    cr_assert_eq(read_all(&out), 1);
    cr_expect_str_eq(out[0].desc, "d1");
    cr_expect_eq(out[0].threads, 2);
    cr_expect_float_eq(out[0].load, 0.1, 1e-12);
    cr_expect_str_eq(out[0].shard, "");
    free(out);
    expect_no_append("shard");
    append_text("d2,L1,module,AKConv,num_param=1,ref,2,1,16,8,8,32,4,4,10,20,30,40,ok,,,,,,0,,,,,,0/2\n");
    expect_read_error("line 3: 31 fields, expected 30");
}

/* A file from before the ratio columns (31 of them): read with the
 * ratios unknown (NaN); appending to it is refused. */
Test(results, file_without_ratio_columns)
{
    write_older_file(",ratio_vs_base,ratio_ci_lo,ratio_ci_hi,roundtrip_ns,vcpu_skew\n", ",1/2");
    struct result_row *out;
    cr_assert_eq(read_all(&out), 1);
    cr_expect_str_eq(out[0].shard, "1/2");
    cr_expect(isnan(out[0].ratio_vs_base) && isnan(out[0].ratio_ci_lo) && isnan(out[0].ratio_ci_hi));
    free(out);
    expect_no_append("ratio_vs_base");
}

/* A file from before the round-trip column (34 of them): read with the
 * placement unknown (NaN) and its ratios kept; appending to it is refused. */
Test(results, file_without_roundtrip_column)
{
    write_older_file(",roundtrip_ns,vcpu_skew\n", ",1/2,0.75,0.73,0.78");
    struct result_row *out;
    cr_assert_eq(read_all(&out), 1);
    cr_expect_float_eq(out[0].ratio_vs_base, 0.75, 1e-12);
    cr_expect(isnan(out[0].roundtrip_ns));
    free(out);
    expect_no_append("roundtrip_ns");
}

/* A file from before the skew column (35 of them): read with the skew
 * unknown (NaN) and its round trip kept; rows of the newer width in it are
 * an error; appending to it is refused. */
Test(results, file_without_skew_column)
{
    write_older_file(",vcpu_skew\n", ",1/2,0.75,0.73,0.78,63.5");
    struct result_row *out;
    cr_assert_eq(read_all(&out), 1);
    cr_expect_float_eq(out[0].roundtrip_ns, 63.5, 1e-12);
    cr_expect(isnan(out[0].vcpu_skew));
    free(out);
    expect_no_append("vcpu_skew");
    append_text("d2,L1,module,AKConv,num_param=1,ref,2,1,16,8,8,32,4,4,10,20,30,40,ok,,,,,,0,,,,,,1/2,,,,63.5,1.3\n");
    expect_read_error("line 3: 36 fields, expected 35");
}
