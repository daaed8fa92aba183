#!/usr/bin/python3
"""ONNX Runtime / OpenVINO peer rows, appended to an ablate results CSV.

Usage (the sweep runs it with .venv-peers/bin/python, see `make peers`):
    python scripts/peer_run.py --csv RESULTS.csv --engine ort|openvino [--quick]
           [--skip REASON]

For every configuration the C harness measured with impl=ref, this builds
the PyTorch module scripts/torch_peer.py times (same code as the goldens,
same seed, ~1 px offsets), exports it to ONNX (scripts/peer_export.py:
opset 16, static shapes, the row's batch) and times the engine with the
row's thread count, with torch_peer.py's method: one group per (layer,
shape, threads) interleaving the module and its baseline, warm-up, at least
11 calls and ~0.3 s (--quick: 5 calls), the `load` column from /proc/stat.
One row per configuration with impl=ort or impl=openvino and the same
statistics columns.

Parity: the engine's output on the row's input is compared with the
reference output of that input -- the PyTorch module's, which the goldens
check against the C reference kernels -- with the C harness's bound
|y - ref| <= 1e-4 (1 + |ref|); off = status fail_parity (its timing is kept
for the record but the summary does not use it).

When the engine cannot be imported (or --skip REASON, which the sweep
passes when .venv-peers is missing), every row is written as `skipped`
with the reason and the install command; exit status 0, the sweep goes on.
The engine's version goes into meta.json ("peers": {"ort": "1.32.0"}).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# Imported first: it re-executes this script with OPENBLAS_NUM_THREADS=1
# and the retaining malloc before torch loads, as for the torch peer.
import torch_peer as T  # noqa: E402
import peer_export as P  # noqa: E402
import torch  # noqa: E402


def peer_desc(ref_desc, impl, threads):
    """The source row's descriptor with its impl -> impl=<engine>."""
    return T.torch_desc(ref_desc, threads).replace('impl=torch', 'impl=' + impl)


def collect_jobs(rows, impl):
    """One job per distinct configuration (from its ref or generated rows,
    T.is_source_row) not yet in the CSV for impl."""
    done = {r['desc'] for r in rows if r.get('impl') == impl}
    seen, jobs = set(), []
    for r in rows:
        if not T.is_source_row(r, impl):
            continue
        key = tuple(r[c] for c in T.CONFIG_COLUMNS)
        desc = peer_desc(r['desc'], impl, int(r['threads']))
        if key in seen or desc in done:
            continue
        seen.add(key)
        jobs.append({'ref': r, 'threads': int(r['threads']), 'desc': desc})
    return jobs


def base_row(job, impl, status, message):
    r = job['ref']
    row = {c: r.get(c, '') for c in T.COPIED_COLUMNS}
    row.update(desc=job['desc'], impl=impl, threads=str(job['threads']), status=status,
               message=message)
    return row


def skipped_rows(jobs, impl, reason):
    msg = '%s: %s; install: %s' % (P.LONG_NAME[impl], reason, P.install_hint(impl))
    return [base_row(j, impl, 'skipped', msg) for j in jobs]


def prepare(entry, impl, version):
    """Exports the entry's module and swaps in the engine runner; records
    parity of the engine's output against the module's on the row's input.
    Returns None (with the failing row in entry['row']) when export or
    compilation fails."""
    x = entry['x']
    try:
        ref, entry['ref_dtype'] = P.reference_output(entry['module'], x)
        run = P.make_runner(impl, P.export_onnx(entry['module'], x), entry['threads'])
        xn = x.numpy()
        y = run(xn)
    except Exception as e:  # an exporter or engine error is that row's result
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        entry['row'] = base_row(entry, impl, 'compile_error',
                                '%s %s: %s' % (P.LONG_NAME[impl], version, first[:200]))
        return None
    entry['parity'] = P.parity(y, ref)
    entry['module'], entry['x'] = run, xn
    return entry


def result_row(e, impl, version, load, opt):
    row = T.result_row(e, load, opt)  # on the CPU: opt.device is torch_peer's default
    max_abs, max_rel, nmse, status = e['parity']
    settings = ('intra_op=%d inter_op=1' % e['threads'] if impl == 'ort'
                else 'INFERENCE_NUM_THREADS=%d LATENCY f32' % e['threads'])
    row.update(impl=impl, status=status, max_abs='%.6g' % max_abs, max_rel='%.6g' % max_rel,
               nmse='%.6g' % nmse,
               message='%s %s, ONNX opset %d, %s; vs PyTorch module in %s on the row input'
               % (P.LONG_NAME[impl], version, P.OPSET, settings, e['ref_dtype']))
    return row


def record_version(csv_path, impl, version):
    """meta.json beside the CSV gets "peers": {impl: version}."""
    meta = os.path.join(os.path.dirname(os.path.abspath(csv_path)), 'meta.json')
    try:
        with open(meta) as f:
            d = json.load(f)
    except (OSError, ValueError):
        return
    d.setdefault('peers', {})[impl] = version or 'not installed'
    with open(meta + '.tmp', 'w') as f:
        json.dump(d, f, indent=2)
        f.write('\n')
    os.replace(meta + '.tmp', meta)


def parse_args(argv):
    ap = argparse.ArgumentParser(description='ONNX Runtime / OpenVINO peer rows for an ablate CSV.')
    ap.add_argument('--csv', required=True)
    ap.add_argument('--engine', required=True, choices=P.ENGINES)
    ap.add_argument('--quick', action='store_true')
    ap.add_argument('--skip', help='write every row as skipped with this reason')
    ap.add_argument('--seed', type=int, default=0)
    opt = T.parse_args(['--csv', 'unused'] + (['--quick'] if '--quick' in argv else []))
    return ap.parse_args(argv, namespace=opt)


def main(argv):
    opt = parse_args(argv)
    impl = opt.engine
    header, rows = T.read_results(opt.csv)
    jobs = collect_jobs(rows, impl)
    version = None if opt.skip else P.engine_version(impl)
    record_version(opt.csv, impl, version)
    if opt.skip or version is None:
        reason = opt.skip or '%s cannot import %s' % (sys.executable, P.PACKAGE[impl])
        T.append_rows(opt.csv, header, skipped_rows(jobs, impl, reason))
        print('%s peer skipped (%d rows): %s; install: %s' % (P.LONG_NAME[impl], len(jobs), reason,
                                                               P.install_hint(impl)))
        return 0
    entries = [e for e in (T.build_entry(j, opt.seed) for j in jobs) if e]
    ready = []
    for e in entries:
        if prepare(e, impl, version):
            ready.append(e)
        else:
            T.append_rows(opt.csv, header, [e['row']])
            print('%s: %s' % (e['desc'], e['row']['message']))
    for group in T.group_entries(ready):
        load = T.time_group(group, group[0]['threads'], opt)
        out = [result_row(e, impl, version, load, opt) for e in group]
        T.append_rows(opt.csv, header, out)
        for row in out:
            print('%-70s %9s ms  [%s-%s]  load %s  %s max_rel %s' % (
                row['desc'], row['median_ms'], row['p10_ms'], row['p90_ms'], row['load'],
                row['status'], row['max_rel']))
    print('%d %s rows appended to %s (%s %s)' % (len(entries), impl, opt.csv, P.LONG_NAME[impl], version))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
