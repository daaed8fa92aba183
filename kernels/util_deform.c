/* kernels/util_deform.c — see util_deform.h.  Double accumulation: these
 * are the oracle the generated deformable kernels are checked against. */
#include "util_deform.h"

double bilinear_t_ref(const float *img, int h, int w, double y, double x)
{
    if (y <= -1.0 || y >= h || x <= -1.0 || x >= w)
        return 0.0;
    double fy = floor(y), fx = floor(x), ly = y - fy, lx = x - fx;
    int y0 = (int)fy, x0 = (int)fx;
    const double wts[4] = {(1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx};
    double v = 0.0;
    for (int q = 0; q < 4; q++) {
        int yy = y0 + q / 2, xx = x0 + q % 2;
        if (yy >= 0 && yy < h && xx >= 0 && xx < w)
            v += wts[q] * img[(int64_t)yy * w + xx];
    }
    return v;
}

void dw_deform_ref(int n, int c, int h, int w, int k, int pad, int dil, const float *x,
                   const float *off, const float *wt, float *y)
{
    const int64_t hw = (int64_t)h * w;
    for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++) {
            const float *img = x + ((int64_t)b * c + ch) * hw;
            const float *ob = off + (int64_t)b * 2 * k * k * hw;
            for (int oh = 0; oh < h; oh++)
                for (int ow = 0; ow < w; ow++) {
                    double s = 0.0;
                    int64_t p = (int64_t)oh * w + ow;
                    for (int i = 0; i < k; i++)
                        for (int j = 0; j < k; j++) {
                            int t = i * k + j;
                            double py = oh - pad + i * dil + (double)ob[2 * t * hw + p];
                            double px = ow - pad + j * dil + (double)ob[(2 * t + 1) * hw + p];
                            s += (double)wt[(int64_t)ch * k * k + t] *
                                 bilinear_t_ref(img, h, w, py, px);
                        }
                    y[((int64_t)b * c + ch) * hw + p] = (float)s;
                }
        }
}

void conv_bias_ref(int n, int cin, int cout, int h, int w, int k, int pad, int dil, const float *x,
                   const float *wt, const float *bias, float *y)
{
    const struct conv2d_geom g = {n, cin, h, w, cout, k, k, 1, 1, pad, pad, dil, dil, 1};
    conv2d_ref(&g, x, wt, bias, y);
}
