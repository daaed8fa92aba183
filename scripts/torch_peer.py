#!/usr/bin/python3
"""PyTorch eager CPU peer timings, appended to an ablate results CSV.

Usage:
    /usr/bin/python3 scripts/torch_peer.py --csv RESULTS.csv [--threads 1,2] [--quick] [--device cuda]

For every distinct configuration the C harness measured with impl=ref
(module, args, batch, c_in, h, w, threads, layer, role), this builds the same
module in PyTorch 1.13 (eval, no_grad, float32, random weights; AKConv and D-LKA
offsets about 1 px as after training), times it and appends one row with impl=torch.
DCNv3 is InternImage's DCNv3_pytorch with its pure-PyTorch core
dcnv3_core_pytorch (grid_sample; scripts/torchref/dcnv3.py), the module the
seed uses; layout=nhwc skips the final permute, as upstream returns NHWC.
GhostModule and C2f_GhostModule_DynamicConv are scripts/torchref/ghost.py's,
DYConv2d and DynamicConv scripts/torchref/dyconv.py's.  C3, deformable_LKA_Attention
and C3_DCNv3_DLKA are scripts/torchref/dlka.py's: the blog and dcnv3_lka variants
run the same DCNv3_pytorch; the official variant runs dlka.py's pure-PyTorch
depthwise deformable conv (one gather per corner and tap), not torchvision's
C++ deform_conv2d -- Debian's torch 1.13 has no torchvision, so this is what a
user without it would run; its rows time that Python-level operator, not
torchvision's.
Why: the anchors (shared/anchors/torch_eager_cpu.md) are the peer to beat, but
this VM drifts by about 15 % between runs, so the peer must be re-measured in
the same session as the kernels.  The method follows the anchors:

  * OPENBLAS_NUM_THREADS=1 and a malloc that keeps freed memory mapped
    (GLIBC_TUNABLES below); the script re-executes itself to set both, since
    they are read when the libraries load.
  * One group per (layer, shape, threads): the layer's module and its baseline
    are interleaved.  After warm-up each round visits every entry once, the
    order reversed every other round; a visit is one untimed call (re-warms
    the entry after its neighbour churned the caches) and one call timed alone
    with perf_counter.
  * At least 11 timed calls per entry and about 0.3 s of timed calls (at most
    200); --quick takes 5.  (The anchors used 21 / 0.5 s; fewer keeps the
    peer inside a sweep's time budget at the cost of a wider p10-p90.)
  * Other processes' CPU use is read from /proc/stat around the timed loop and
    written to the `load` column; a group that saw more than 0.3 core is
    retried once (not with --quick) and the quieter attempt kept.

--threads 1,2 times every configuration at each listed thread count instead
of the thread counts of the ref rows.  Rows whose desc is already present
with impl=torch are skipped, so the script can be re-run after a partial run.
"""
import argparse
import csv
import os
import re
import sys
import time

GLIBC_TUNABLES = ('glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=0x100000000000:'
                  'glibc.malloc.top_pad=0x4000000')
REQUIRED_ENV = {'OPENBLAS_NUM_THREADS': '1', 'GLIBC_TUNABLES': GLIBC_TUNABLES}
QUIET_LOAD = 0.3  # cores; above this a group is retried (the C harness uses the same)


def ensure_env():
    """Re-executes this script with REQUIRED_ENV if any variable differs: both
    are read once when OpenBLAS and glibc malloc initialise, before torch."""
    if all(os.environ.get(k) == v for k, v in REQUIRED_ENV.items()):
        return
    env = dict(os.environ, **REQUIRED_ENV)
    # sys.argv[0]: the script that was run (peer_run.py imports this one)
    os.execve(sys.executable, [sys.executable, os.path.abspath(sys.argv[0])] + sys.argv[1:], env)


ensure_env()

import torch  # noqa: E402  (after the re-exec on purpose)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchref.randomize import randomize_module  # noqa: E402
from torchref.registry import build_module, parse_kv  # noqa: E402

CONFIG_COLUMNS = ('module', 'args', 'batch', 'c_in', 'h', 'w', 'threads', 'layer', 'role')
COPIED_COLUMNS = ('layer', 'role', 'module', 'args', 'batch', 'c_in', 'h', 'w', 'c_out', 'h_out',
                  'w_out', 'params', 'flops_thop', 'flops_full', 'bytes', 'shard')


_noted = set()


def note_once(msg):
    """Prints a skip note once, not once per thread count."""
    if msg not in _noted:
        _noted.add(msg)
        print('note: ' + msg)


# --------------------------------------------------------------------------
# CSV in and out
# --------------------------------------------------------------------------

def read_results(path):
    """(header list, list of row dicts)."""
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def append_rows(path, header, rows):
    """Appends with the file's own column order; adds a missing final newline
    first so the new rows never glue onto the last existing line."""
    needs_nl = False
    with open(path, 'rb') as f:
        if f.seek(0, os.SEEK_END) > 0:
            f.seek(-1, os.SEEK_END)
            needs_nl = f.read(1) != b'\n'
    with open(path, 'a', newline='') as f:
        if needs_nl:
            f.write('\n')
        w = csv.DictWriter(f, fieldnames=header, lineterminator='\n')
        for r in rows:
            w.writerow({k: r.get(k, '') for k in header})


def torch_desc(ref_desc, threads, impl='torch'):
    """The source row's descriptor with impl=ref (gen:VARIANT, cuda:VARIANT)
    -> impl=torch (and the thread count, when --threads asks for another one)."""
    d, n = re.subn(r':t\d+:impl=(ref|gen:[^:]*|cuda:[^:]*)$', ':t%d:impl=%s' % (threads, impl), ref_desc)
    return d if n else re.sub(r'impl=.*$', 'impl=' + impl, ref_desc)


# --------------------------------------------------------------------------
# What to time
# --------------------------------------------------------------------------

def is_source_row(r, impl):
    """The rows whose configurations a peer times: ref rows and generated
    rows (a sweep without the "ref" backend has only those; collect_jobs
    keeps one job per configuration), invalid or skipped ones left out; for
    torch_cuda also cuda:VARIANT rows (a BACKENDS=cuda sweep has no ref
    rows), skipped or not, since a device the harness did not see may still
    be torch's."""
    kind = r.get('impl', '')
    if kind == 'ref' or kind.startswith('gen:'):
        return r.get('status') not in ('invalid', 'skipped')
    return impl == 'torch_cuda' and kind.startswith('cuda:') and r.get('status') != 'invalid'


def collect_jobs(rows, thread_list, impl='torch'):
    """One job per distinct configuration (and thread count)."""
    done = {r['desc'] for r in rows if r.get('impl') == impl}
    seen, jobs = set(), []
    for r in rows:
        if not is_source_row(r, impl):
            continue
        for t in thread_list or [int(r['threads'])]:
            key = tuple(r[c] for c in CONFIG_COLUMNS if c != 'threads') + (t,)
            desc = torch_desc(r['desc'], t, impl)
            if key in seen:
                continue
            seen.add(key)
            if desc in done:
                note_once('%s already in the CSV, skipped' % desc)
                continue
            jobs.append({'ref': r, 'threads': t, 'desc': desc})
    return jobs


def build_entry(job, seed, device='cpu'):
    """PyTorch module and input for a job, or None (with a note) when the
    module or its arguments are not known here."""
    r = job['ref']
    try:
        kv = parse_kv(a for a in r['args'].split(':') if a)
        m, c_in = build_module(r['module'], kv)
    except ValueError as e:
        note_once('skipping %s %s: %s' % (r['module'], r['args'], e))
        return None
    if c_in != int(r['c_in']):
        note_once('skipping %s %s: c_in %s does not match the args' % (r['module'], r['args'], r['c_in']))
        return None
    gen = torch.Generator().manual_seed(seed)
    randomize_module(m, gen, 1.0)  # ~1 px offsets (AKConv, official D-LKA), like the anchors
    x = torch.randn((int(r['batch']), c_in, int(r['h']), int(r['w'])), generator=gen)
    if device != 'cpu':
        m, x = m.to(device), x.to(device)
    return dict(job, module=m, x=x, samples=[])


def sync(device):
    """Waits for queued device work: CUDA calls return before they finish."""
    if device != 'cpu':
        torch.cuda.synchronize()


def group_entries(entries):
    """Groups entries that share a layer, shape and thread count, so a module
    is timed interleaved with its baseline; entries without a layer stand alone."""
    groups = {}
    for i, e in enumerate(entries):
        r = e['ref']
        key = (r['layer'], r['batch'], r['c_in'], r['h'], r['w'], e['threads']) if r['layer'] else i
        groups.setdefault(key, []).append(e)
    return list(groups.values())


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------

def busy_seconds():
    """CPU seconds all processes have spent non-idle so far (/proc/stat)."""
    with open('/proc/stat') as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)  # idle + iowait
    return (sum(v[:8]) - idle) / os.sysconf('SC_CLK_TCK')


def wait_quiet(max_wait_s, window_s=0.25):
    """Waits (up to max_wait_s) for a window in which other processes use
    less than QUIET_LOAD cores: a co-tenant inflates 2-thread timings 10-30x."""
    deadline = time.perf_counter() + max_wait_s
    while True:
        b0, c0 = busy_seconds(), time.process_time()
        time.sleep(window_s)
        load = ((busy_seconds() - b0) - (time.process_time() - c0)) / window_s
        if load <= QUIET_LOAD or time.perf_counter() >= deadline:
            return load


def run_rounds(entries, min_samples, target_s, max_samples, device='cpu'):
    """Interleaved rounds: each visit = one untimed call, then one timed call.
    Each entry stops on its own once it has min_samples and target_s of timed
    calls (or max_samples): a 100 ms call must not be repeated as often as
    the 2 ms baseline beside it needs."""
    def done(e):
        n = len(e['samples'])
        return n >= max_samples or (n >= min_samples and sum(e['samples']) >= target_s)

    for e in entries:
        e['samples'] = []
    k = 0
    while not all(done(e) for e in entries):
        for e in (entries if k % 2 == 0 else entries[::-1]):
            if done(e):
                continue
            e['module'](e['x'])
            sync(device)
            t0 = time.perf_counter()
            e['module'](e['x'])
            sync(device)
            e['samples'].append(time.perf_counter() - t0)
        k += 1


def time_group(entries, threads, opt):
    """Times one group; returns the other processes' load (cores) during the
    kept attempt.  Retries a noisy attempt and keeps the quietest one."""
    torch.set_num_threads(threads)
    best = None
    with torch.no_grad():
        for e in entries:
            for _ in range(opt.warmup):
                e['module'](e['x'])
        for attempt in range(opt.retries + 1):
            if opt.quiet_wait_s > 0:
                wait_quiet(opt.quiet_wait_s)
            for e in entries:  # each attempt measures afresh
                e['samples'] = []
            b0, c0, w0 = busy_seconds(), time.process_time(), time.perf_counter()
            run_rounds(entries, opt.min_samples, opt.target_s, opt.max_samples, opt.device)
            wall = time.perf_counter() - w0
            other = (busy_seconds() - b0) - (time.process_time() - c0)
            load = max(0.0, other / wall) if wall > 0 else 0.0
            if best is None or load < best[0]:
                best = (load, [list(e['samples']) for e in entries])
            if load <= QUIET_LOAD or attempt == opt.retries:
                break
            print('note: load %.2f cores during attempt %d, retrying' % (load, attempt + 1))
    for e, s in zip(entries, best[1]):
        e['samples'] = s
    return best[0]


def quantile(sorted_xs, q):
    """Linear interpolation between closest ranks (numpy's default)."""
    pos = q * (len(sorted_xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def result_row(e, load, opt):
    """The CSV row of a timed entry: counts copied from the ref row."""
    r, ms = e['ref'], sorted(1e3 * s for s in e['samples'])
    med = quantile(ms, 0.5)
    flops = float(r['flops_full']) if r.get('flops_full') else float('nan')
    row = {c: r.get(c, '') for c in COPIED_COLUMNS}
    where = 'OPENBLAS_NUM_THREADS=1; retain-malloc' if opt.device == 'cpu' else \
        'on %s; host timer around torch.cuda.synchronize()' % torch.cuda.get_device_name(0)
    row.update(desc=e['desc'], impl=opt.impl, threads=str(e['threads']), status='ok',
               message='torch %s eager; %s' % (torch.__version__, where),
               median_ms='%.6g' % med, p10_ms='%.6g' % quantile(ms, 0.1),
               p90_ms='%.6g' % quantile(ms, 0.9), min_ms='%.6g' % ms[0], samples=str(len(ms)),
               gflops='%.6g' % (flops / (med * 1e6)), max_abs='', max_rel='', nmse='',
               load='%.3f' % load)
    return row


# --------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(description='PyTorch eager CPU peer rows for an ablate CSV.')
    ap.add_argument('--csv', required=True, help='results CSV written by ablate (appended to)')
    ap.add_argument('--threads', help='comma-separated thread counts (default: those of the ref rows)')
    ap.add_argument('--quick', action='store_true', help='5 samples, one warm-up, no quiet wait, no retries')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--device', choices=('cpu', 'cuda'), default='cpu',
                    help='cuda: PyTorch eager on the GPU, rows impl=torch_cuda (skipped without one)')
    opt = ap.parse_args(argv)
    opt.impl = 'torch' if opt.device == 'cpu' else 'torch_cuda'
    opt.thread_list = [int(t) for t in opt.threads.split(',')] if opt.threads else None
    if opt.quick:
        opt.min_samples, opt.target_s, opt.max_samples, opt.warmup, opt.retries = 5, 0.0, 5, 1, 0
        opt.quiet_wait_s = 0.0
    else:
        opt.min_samples, opt.target_s, opt.max_samples, opt.warmup, opt.retries = 11, 0.3, 200, 1, 1
        opt.quiet_wait_s = 10.0
    return opt


def main(argv):
    opt = parse_args(argv)
    header, rows = read_results(opt.csv)
    missing = [c for c in ('desc', 'impl', 'status') + CONFIG_COLUMNS if c not in header]
    if missing:
        sys.stderr.write('torch_peer: %s: missing column(s) %s\n' % (opt.csv, ', '.join(missing)))
        return 1
    if opt.device == 'cuda' and not torch.cuda.is_available():
        print('torch_peer: --device cuda skipped (torch %s sees no CUDA device)' % torch.__version__)
        return 0
    jobs = collect_jobs(rows, opt.thread_list, opt.impl)
    entries = [e for e in (build_entry(j, opt.seed, opt.device) for j in jobs) if e]
    for group in group_entries(entries):
        load = time_group(group, group[0]['threads'], opt)
        out = [result_row(e, load, opt) for e in group]
        append_rows(opt.csv, header, out)  # one group at a time: a killed run keeps what it measured
        for row in out:
            print('%-70s %9s ms  [%s-%s]  load %s' % (row['desc'], row['median_ms'], row['p10_ms'],
                                                      row['p90_ms'], row['load']))
    print('%d %s rows appended to %s' % (len(entries), opt.impl, opt.csv))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
