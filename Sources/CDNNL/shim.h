#ifndef SWIFTGAN_CDNNL_SHIM_H
#define SWIFTGAN_CDNNL_SHIM_H
/* oneDNN (Debian's libdnnl-dev, OpenMP runtime) for SwiftGAN's convolutions. */
#include <dnnl.h>

/* libgomp: oneDNN's parallel regions take their team size from the calling thread's setting. */
void omp_set_num_threads(int num_threads);

/* Argument indices of dnnl_primitive_execute (macros of macros, which Swift does not import). */
enum {
    swiftgan_dnnl_arg_src = DNNL_ARG_SRC,
    swiftgan_dnnl_arg_dst = DNNL_ARG_DST,
    swiftgan_dnnl_arg_weights = DNNL_ARG_WEIGHTS,
    swiftgan_dnnl_arg_diff_src = DNNL_ARG_DIFF_SRC,
    swiftgan_dnnl_arg_diff_dst = DNNL_ARG_DIFF_DST,
    swiftgan_dnnl_arg_diff_weights = DNNL_ARG_DIFF_WEIGHTS,
    swiftgan_dnnl_arg_scratchpad = DNNL_ARG_SCRATCHPAD,
};

/* The primitive descriptor of one pass of a 2-D cross-correlation without bias, in f32, with
   the weights' layout left to oneDNN (format "any"), the activations' too unless `channels_last`
   (then nhwc), and attributes `attr` (may be NULL):
   pass 0 = forward training, 1 = backward data, 2 = backward weights.
   Input [n, c, h, w], weight [oc, c, kh, kw], output [n, oc, oh, ow]; padding top/left pt/pl,
   bottom/right pb/pr (so that oh = (h + pt + pb - kh) / sh + 1 exactly). */
static inline dnnl_status_t swiftgan_dnnl_convolution_pd(
    dnnl_primitive_desc_t *pd, dnnl_engine_t engine, const_dnnl_primitive_attr_t attr, int pass, int channels_last,
    int n, int c, int h, int w, int oc, int oh, int ow,
    int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr)
{
    dnnl_dims_t src_dims = {n, c, h, w}, weight_dims = {oc, c, kh, kw}, dst_dims = {n, oc, oh, ow};
    dnnl_dims_t strides = {sh, sw}, padding_l = {pt, pl}, padding_r = {pb, pr};
    dnnl_memory_desc_t src, weights, dst;
    dnnl_format_tag_t activations = channels_last ? dnnl_acdb : dnnl_format_tag_any;
    dnnl_status_t s;
    if ((s = dnnl_memory_desc_init_by_tag(&src, 4, src_dims, dnnl_f32, activations)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_tag(&weights, 4, weight_dims, dnnl_f32, dnnl_format_tag_any)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_tag(&dst, 4, dst_dims, dnnl_f32, activations)) != dnnl_success) return s;
    dnnl_convolution_desc_t forward;
    if ((s = dnnl_convolution_forward_desc_init(&forward, dnnl_forward_training, dnnl_convolution_direct,
             &src, &weights, NULL, &dst, strides, padding_l, padding_r)) != dnnl_success) return s;
    dnnl_primitive_desc_t forward_pd;
    if ((s = dnnl_primitive_desc_create(&forward_pd, &forward, attr, engine, NULL)) != dnnl_success) return s;
    if (pass == 0) { *pd = forward_pd; return dnnl_success; }
    dnnl_convolution_desc_t backward;
    if (pass == 1)
        s = dnnl_convolution_backward_data_desc_init(&backward, dnnl_convolution_direct,
                &src, &weights, &dst, strides, padding_l, padding_r);
    else
        s = dnnl_convolution_backward_weights_desc_init(&backward, dnnl_convolution_direct,
                &src, &weights, NULL, &dst, strides, padding_l, padding_r);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(pd, &backward, attr, engine, forward_pd);
    dnnl_primitive_desc_destroy(forward_pd);
    return s;
}

/* A plain row-major (nchw / oihw) f32 descriptor of a 4-D array. */
static inline dnnl_status_t swiftgan_dnnl_plain_md(dnnl_memory_desc_t *md, int d0, int d1, int d2, int d3) {
    dnnl_dims_t dims = {d0, d1, d2, d3};
    return dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, dnnl_abcd);
}

/* The f32 descriptor of a 4-D activation array in nChw{block}c (aBcd16b or aBcd8b) or, with
   block 0, in nhwc (acdb): the layouts SwiftGAN converts itself (see ChannelBlocking.swift). */
static inline dnnl_status_t swiftgan_dnnl_blocked_md(dnnl_memory_desc_t *md, int d0, int d1, int d2, int d3, int block) {
    dnnl_dims_t dims = {d0, d1, d2, d3};
    switch (block) {
    case 16: return dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, dnnl_aBcd16b);
    case 8: return dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, dnnl_aBcd8b);
    case 0: return dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, dnnl_acdb);
    default: return dnnl_invalid_arguments;
    }
}
#endif
