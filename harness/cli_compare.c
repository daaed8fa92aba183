/* harness/cli_compare.c — `ablate compare OLD.csv NEW.csv [--threshold T]
 * [--alpha A] [--out FILE.csv]`; the comparison itself is compare.c.
 *
 * Exit status: 0 (whatever changed: compare reports, regress judges),
 * 2 on bad input with one line naming the problem. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "compare.h"

int cli_compare(int argc, char **argv)
{
    struct compare_opts o = {.threshold = 0.05, .alpha = 0.01};
    const char *files[2] = {NULL, NULL}, *out = NULL;
    int nf = 0;
    char err[512];
    for (int i = 0; i < argc; i++) {
        int r = compare_parse_opt(argc, argv, &i, &o, err, sizeof err);
        if (r < 0)
            return cli_bad_input(err);
        if (r == 1)
            continue;
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] == '-' || nf == 2)
            return cli_bad_usage("compare");
        else
            files[nf++] = argv[i];
    }
    if (nf != 2)
        return cli_bad_usage("compare");
    int matched = compare_files(files[0], files[1], out, &o, err, sizeof err);
    if (matched < 0)
        return cli_bad_input(err);
    if (matched == 0)
        fprintf(stderr, "ablate: %s and %s have no timed desc in common\n", files[0], files[1]);
    return EXIT_OK;
}
