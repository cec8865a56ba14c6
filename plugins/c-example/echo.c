/* A minimal netrun plugin in C: `call: echo` returns its arguments unchanged.
 * Build: cc -shared -fPIC -I plugins/include plugins/c-example/echo.c -o libecho.so
 * The NR_TEST_* macros turn it into the broken plugins the tests need. */
#include <stdlib.h>
#include <string.h>
#include "netrun_plugin.h"

#ifndef NR_TEST_NAME
#define NR_TEST_NAME "echo"
#endif

struct nr_connection { int alive; };

static nr_str lit(const char *s) { nr_str r = {(const uint8_t *)s, strlen(s)}; return r; }

static void fail(nr_error *err, int32_t code, const char *msg) {
    size_t n = strlen(msg);
    if (n > NR_ERROR_MESSAGE_SIZE) n = NR_ERROR_MESSAGE_SIZE;
    err->code = code;
    err->len = (uint32_t)n;
    memcpy(err->message, msg, n);
}

static int32_t echo_open(const nr_open_params *p, nr_connection **out, nr_error *err) {
    (void)p;
    *out = calloc(1, sizeof(nr_connection));
    if (!*out) { fail(err, NR_ERR_FAILED, "out of memory"); return NR_ERR_FAILED; }
    (*out)->alive = 1;
    return NR_OK;
}

static int32_t echo_call(nr_connection *c, nr_str op, nr_str args, nr_owned_str *res,
                         nr_error *err) {
    (void)c;
    if (op.len != 4 || memcmp(op.ptr, "echo", 4) != 0) {
        fail(err, NR_ERR_INVALID, "echo only knows `echo`");
        return NR_ERR_INVALID;
    }
    /* Our own allocation, freed by echo_free_string when netrun is done with it. */
    res->ptr = malloc(args.len ? args.len : 1);
    if (!res->ptr) { fail(err, NR_ERR_FAILED, "out of memory"); return NR_ERR_FAILED; }
    memcpy(res->ptr, args.ptr, args.len);
    res->len = args.len;
    return NR_OK;
}

static int32_t echo_is_alive(nr_connection *c) { return c && c->alive; }
static void echo_close(nr_connection *c) { free(c); }
static void echo_free_string(nr_owned_str s) { free(s.ptr); }

/* NR_TEST_NO_SYMBOL exports the entry point under the wrong name. */
#ifdef NR_TEST_NO_SYMBOL
#define netrun_plugin_init netrun_plugin_init_misspelt
#endif
int32_t netrun_plugin_init(uint32_t host_abi, nr_plugin_v1 *table, uint32_t size, nr_error *err) {
    nr_plugin_v1 t;
#ifdef NR_TEST_INIT_ERROR
    fail(err, NR_ERR_FAILED, "license file not found");
    return NR_ERR_FAILED;
#endif
    if (host_abi < NR_ABI_VERSION) { fail(err, NR_ERR_INVALID, "host too old"); return NR_ERR_INVALID; }
    memset(&t, 0, sizeof t);
#ifdef NR_TEST_ABI
    t.abi_version = NR_TEST_ABI;
#else
    t.abi_version = NR_ABI_VERSION;
#endif
#ifdef NR_TEST_SMALL
    t.struct_size = 8;
#else
    t.struct_size = sizeof t;
#endif
    t.open = echo_open;
    t.call = echo_call;
    t.is_alive = echo_is_alive;
    t.close = echo_close;
    t.free_string = echo_free_string;
    t.name = lit(NR_TEST_NAME);
    t.version = lit("1.0.0");
    t.info_json = lit("{\"command_types\":[\"custom\"],"
                      "\"operations\":[{\"name\":\"echo\",\"read_only\":true}],\"dry_run\":true}");
    /* Never write more than netrun gave us room for. */
    memcpy(table, &t, size < sizeof t ? size : sizeof t);
    return NR_OK;
}
