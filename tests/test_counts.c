/* tests/test_counts.c — params / FLOPs / bytes against MODULES.md §8's
 * worked examples (checked there by executing PyTorch and thop). */
#include <criterion/criterion.h>
#include <stdio.h>

#include "counts_check.h"


Test(counts, conv_64_128_k3_s2)
{
    const char *kv[] = {"c1=64", "c2=128", "k=3", "s=2"};
    struct instance m = make_instance("Conv", kv, 4, 80, 80);
    cr_expect_eq(m.out.c, 128);
    cr_expect_eq(m.out.h, 40);
    CHECK_COUNTS(m, 73984, 118784000, 236953600, 2754560);
}

Test(counts, akconv_64_128_n5_s2)
{
    const char *kv[] = {"inc=64", "outc=128", "num_param=5", "stride=2"};
    struct instance m = make_instance("AKConv", kv, 4, 80, 80);
    cr_expect_eq(m.out.h, 40);
    cr_expect_eq(m.out.w, 40);
    CHECK_COUNTS(m, 46986, 75571200, 154432000, 2646568);
}

/* The state_dict of AKConv as PyTorch names it (MODULES.md 5.1 item 2). */
Test(counts, akconv_state_dict_keys)
{
    const char *kv[] = {"inc=4", "outc=6", "num_param=3", "bias=True"};
    struct instance m = make_instance("akconv", kv, 4, 9, 13);
    struct weight_list wl;
    m.op->weights(&m.args, &wl);
    const char *keys[] = {"conv.0.weight", "conv.0.bias", "conv.1.weight", "conv.1.bias",
                          "conv.1.running_mean", "conv.1.running_var", "conv.1.num_batches_tracked",
                          "p_conv.weight", "p_conv.bias"};
    cr_assert_eq(wl.n, 9);
    for (int i = 0; i < 9; i++)
        cr_expect_str_eq(wl.w[i].key, keys[i]);
    cr_expect_eq(wl.w[0].shape[2], 3);
    cr_expect_eq(wl.w[7].shape[0], 6);
    cr_expect_eq(m.op->params(&m.args), 6 * 4 * 3 + 6 + 12 + 18 * 3 * 4 + 6);
}

/* Odd sizes: Ho = floor((H-1)/s) + 1 for AKConv, autopad for Conv. */
Test(counts, odd_sizes)
{
    const char *ak[] = {"inc=3", "outc=5", "num_param=7", "stride=2"};
    struct instance a = make_instance("AKConv", ak, 4, 9, 12);
    cr_expect_eq(a.out.h, 5);
    cr_expect_eq(a.out.w, 6);
    const char *cv[] = {"c1=4", "c2=6", "k=5", "s=2", "d=2"};
    struct instance c = make_instance("Conv", cv, 5, 11, 7);
    cr_expect_eq(c.out.h, 6);
    cr_expect_eq(c.out.w, 4);
}
