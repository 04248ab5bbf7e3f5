/*
 * The BitLocker key stretch (1,048,576 chained SHA-256 of 88 bytes) as a
 * Node-API addon over the SHA-256 block function of the OpenSSL that Node.js
 * itself carries (its symbols are exported to addons), so it runs on the CPU's
 * SHA extensions where there are some.
 *
 * Why native (measured, bench/src/bitlocker-bench.ts and packages/bitlocker/
 * README.md): one unlock costs ~0.5 s CPU in our WebAssembly loop and ~0.1 s
 * here, and a BitLocker repair's whole budget is 0.7 s. Optional: built by
 * scripts/build-native.sh when a C compiler and Node's headers are present;
 * without it the WebAssembly loop is used and results are identical.
 *
 * Round i (libbde "Stretch key"; dislocker stretch_key.c, behaviour only):
 *   last = SHA-256(last(32) ‖ initial(32) ‖ salt(16) ‖ LE64(i))
 * 88 bytes pad to two 64-byte blocks; the second one is the salt, the counter,
 * the 0x80 terminator and the bit length (704) in its last 8 bytes.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16); p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

static const uint32_t SHA256_IV[8] = {
  0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au, 0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
};

static void stretch(const unsigned char initial[32], const unsigned char salt[16], uint32_t rounds, unsigned char out[32]) {
  unsigned char blocks[128];
  memset(blocks, 0, sizeof blocks);
  memcpy(blocks + 32, initial, 32);
  memcpy(blocks + 64, salt, 16);
  blocks[88] = 0x80;
  blocks[126] = (704 >> 8) & 0xff;
  blocks[127] = 704 & 0xff;
  SHA256_CTX ctx;
  for (uint32_t i = 0; i < rounds; i++) {
    for (int b = 0; b < 8; b++) blocks[80 + b] = b < 4 ? (unsigned char)(i >> (8 * b)) : 0;
    memcpy(ctx.h, SHA256_IV, sizeof SHA256_IV);
    SHA256_Transform(&ctx, blocks);
    SHA256_Transform(&ctx, blocks + 64);
    for (int w = 0; w < 8; w++) put_be32(blocks + 4 * w, ctx.h[w]);
  }
  memcpy(out, blocks, 32);
}

/* stretch(initialHash: Uint8Array(32), salt: Uint8Array(16), rounds: number) -> Uint8Array(32) */
static napi_value js_stretch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) {
    napi_throw_type_error(env, NULL, "stretch(initialHash, salt, rounds)");
    return NULL;
  }
  void *initial = NULL, *salt = NULL;
  size_t initial_length = 0, salt_length = 0;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, argv[0], &type, &initial_length, &initial, &ab, &offset) != napi_ok || type != napi_uint8_array || initial_length != 32 ||
      napi_get_typedarray_info(env, argv[1], &type, &salt_length, &salt, &ab, &offset) != napi_ok || type != napi_uint8_array || salt_length != 16) {
    napi_throw_range_error(env, NULL, "stretch needs a 32-byte hash and a 16-byte salt (Uint8Array)");
    return NULL;
  }
  uint32_t rounds = 0;
  if (napi_get_value_uint32(env, argv[2], &rounds) != napi_ok || rounds == 0) {
    napi_throw_range_error(env, NULL, "rounds out of range");
    return NULL;
  }
  unsigned char result[32];
  stretch((const unsigned char *)initial, (const unsigned char *)salt, rounds, result);
  void *data = NULL;
  napi_value buffer, array;
  if (napi_create_arraybuffer(env, 32, &data, &buffer) != napi_ok) return NULL;
  memcpy(data, result, 32);
  if (napi_create_typedarray(env, napi_uint8_array, 32, buffer, 0, &array) != napi_ok) return NULL;
  return array;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  if (napi_create_function(env, "stretch", NAPI_AUTO_LENGTH, js_stretch, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "stretch", fn) != napi_ok) return NULL;
  return exports;
}
