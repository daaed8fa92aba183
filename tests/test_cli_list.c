/* tests/test_cli_list.c — `ablate list`: every module of the op table with
 * its arguments (type, default, help, accepted words) and its variants. */
#include <criterion/criterion.h>

#include "ops.h"
#include "test_util.h"

Test(cli_list, every_module_listed)
{
    struct run_out r;
    run_ablate(&r, "list");
    cr_assert_eq(r.status, 0, "%s", r.err);
    for (int i = 0; i < op_count; i++) {
        char line[128];
        snprintf(line, sizeof line, "\n%s", op_table[i]->name);
        cr_expect(i == 0 ? strncmp(r.out, line + 1, strlen(line + 1)) == 0 : strstr(r.out, line) != NULL,
                  "%s missing", op_table[i]->name);
    }
}

Test(cli_list, help_then_accepted_words)
{
    struct run_out r;
    run_ablate(&r, "list");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "  grid           enum   ij       meshgrid order: ij official, xy blog [ij|xy]\n"),
              "%s", r.out);
    cr_expect(strstr(r.out, "  padding        int    ''       int, '' ((s-1)+d(k-1))//2, same or valid "
                            "[''|same|valid]\n"));
    cr_expect(strstr(r.out, "  variants: ref, gen:direct, gen:gemm, gen:fused\n"), "AKConv's variants");
}
