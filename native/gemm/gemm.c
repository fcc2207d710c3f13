/*
 * qtlflow's native GEMM backend: C = A·Bᵀ (row-major) through OpenBLAS cblas_dgemm / cblas_sgemm, for the
 * permutation pass (variants × samples by samples × permutations). A hand-written kernel cannot reach
 * OpenBLAS's packed, vectorized micro-kernels; this file only checks the arguments and calls it.
 */
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>

#define CHECK(call)                                                                                       \
  do {                                                                                                    \
    if ((call) != napi_ok) return NULL;                                                                   \
  } while (0)

static int typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *length) {
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, length, data, &ab, &off) != napi_ok) return 0;
  return type == want;
}

static int dim(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok && *out >= 0 && *out <= INT32_MAX;
}

/* gemmABt(a, m, b, p, n, c): a m×n, b p×n, c m×p, all row-major; Float64Array (dgemm) or Float32Array (sgemm). */
static napi_value GemmABt(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 6) {
    napi_throw_type_error(env, NULL, "gemmABt(a, m, b, p, n, c) takes 6 arguments");
    return NULL;
  }
  int64_t m, p, n;
  if (!dim(env, argv[1], &m) || !dim(env, argv[3], &p) || !dim(env, argv[4], &n)) {
    napi_throw_type_error(env, NULL, "gemmABt: m, p, n must be integers in [0, 2^31)");
    return NULL;
  }
  void *a, *b, *c;
  size_t la, lb, lc;
  if (typed(env, argv[0], napi_float64_array, &a, &la) && typed(env, argv[2], napi_float64_array, &b, &lb) &&
      typed(env, argv[5], napi_float64_array, &c, &lc)) {
    if ((int64_t)la < m * n || (int64_t)lb < p * n || (int64_t)lc < m * p) {
      napi_throw_range_error(env, NULL, "gemmABt: an array is shorter than its dimensions");
      return NULL;
    }
    if (m && p) {
      if (n)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)p, (int)n, 1.0, a, (int)n, b, (int)n,
                    0.0, c, (int)p);
      else
        for (int64_t i = 0; i < m * p; i++) ((double *)c)[i] = 0;
    }
    return NULL;
  }
  if (typed(env, argv[0], napi_float32_array, &a, &la) && typed(env, argv[2], napi_float32_array, &b, &lb) &&
      typed(env, argv[5], napi_float32_array, &c, &lc)) {
    if ((int64_t)la < m * n || (int64_t)lb < p * n || (int64_t)lc < m * p) {
      napi_throw_range_error(env, NULL, "gemmABt: an array is shorter than its dimensions");
      return NULL;
    }
    if (m && p) {
      if (n)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)p, (int)n, 1.0f, a, (int)n, b, (int)n,
                    0.0f, c, (int)p);
      else
        for (int64_t i = 0; i < m * p; i++) ((float *)c)[i] = 0;
    }
    return NULL;
  }
  napi_throw_type_error(env, NULL, "gemmABt: a, b and c must all be Float64Array or all Float32Array");
  return NULL;
}

/* setThreads(k): OpenBLAS's own thread count (1 inside each worker thread, so threads never multiply). */
static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t k = 1;
  if (argc < 1 || !dim(env, argv[0], &k) || k < 1) {
    napi_throw_type_error(env, NULL, "setThreads(k): k must be a positive integer");
    return NULL;
  }
  openblas_set_num_threads((int)k);
  return NULL;
}

/* config(): OpenBLAS's build description (version, core, threading model). */
static napi_value Config(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value s;
  CHECK(napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &s));
  return s;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"gemmABt", NULL, GemmABt, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_default, NULL},
      {"config", NULL, Config, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  return exports;
}
