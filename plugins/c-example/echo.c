/* A minimal netrun plugin in C: `call: echo` returns its arguments unchanged.
 * Build: cc -shared -fPIC -I plugins/include plugins/c-example/echo.c -o libecho.so
 * The NR_TEST_* macros turn it into the variants the tests need (broken plugins, other ABI
 * revisions, a CLI transport, and plugins that crash or hang: see "Misbehaving variants"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "netrun_plugin.h"

#ifndef NR_TEST_NAME
#define NR_TEST_NAME "echo"
#endif

struct nr_connection {
    int alive;
    int doomed; /* the host's name starts with "crash": the crashing variants crash on it */
};

/* ---- Misbehaving variants, one macro each (tests of what netrun survives) ----
 * NR_TEST_SEGV_CALL, NR_TEST_ABORT_CALL, NR_TEST_EXIT_CALL: call() on a host whose name starts
 *     with "crash" segfaults, calls abort(), or calls exit(0).
 * NR_TEST_OPS: adds three operations: `sleep` takes two seconds (a call still running when
 *     another host crashes the plugin), and on a "crash" host one second before it crashes;
 *     `pid` returns {"pid": getpid(), "ppid": getppid()}, the process the plugin runs in;
 *     `print` writes a line to stdout.
 * NR_TEST_ABORT_INIT, NR_TEST_HANG_INIT: netrun_plugin_init aborts, or never returns.
 * NR_TEST_HANG_OPEN, NR_TEST_HANG_CALL, NR_TEST_HANG_IS_ALIVE, NR_TEST_HANG_CLOSE: that
 *     function never returns (and there is no cancel()).
 * NR_TEST_HUGE_RESULT: call() returns a valid pointer with a length of 2^40 bytes.
 * NR_TEST_HUGE_NAME: the plugin's name has a length of 2^40 bytes. */
#define HANG() for (;;) sleep(1000)

static void misbehave_in_call(nr_connection *c) {
#ifdef NR_TEST_HANG_CALL
    HANG();
#endif
    if (!c->doomed) return;
#if defined(NR_TEST_SEGV_CALL)
    *(volatile int *)0 = 1;
#elif defined(NR_TEST_ABORT_CALL)
    abort();
#elif defined(NR_TEST_EXIT_CALL)
    exit(0);
#endif
}

#define HUGE_LEN ((size_t)1 << 40)
static uint8_t small_result[] = "{}";

static nr_str lit(const char *s) { nr_str r = {(const uint8_t *)s, strlen(s)}; return r; }

static void fail(nr_error *err, int32_t code, const char *msg) {
    size_t n = strlen(msg);
    if (n > NR_ERROR_MESSAGE_SIZE) n = NR_ERROR_MESSAGE_SIZE;
    err->code = code;
    err->len = (uint32_t)n;
    memcpy(err->message, msg, n);
}

static int32_t echo_open(const nr_open_params *p, nr_connection **out, nr_error *err) {
#ifdef NR_TEST_HANG_OPEN
    HANG();
#endif
    *out = calloc(1, sizeof(nr_connection));
    if (!*out) { fail(err, NR_ERR_FAILED, "out of memory"); return NR_ERR_FAILED; }
    (*out)->alive = 1;
    (*out)->doomed = p->hostname.len >= 5 && memcmp(p->hostname.ptr, "crash", 5) == 0;
    return NR_OK;
}

static int op_is(nr_str op, const char *name) {
    return op.len == strlen(name) && memcmp(op.ptr, name, op.len) == 0;
}

/* Copies `len` bytes into a string of our own, freed by echo_free_string. */
static int32_t give(nr_owned_str *res, const uint8_t *bytes, size_t len, nr_error *err) {
    res->ptr = malloc(len ? len : 1);
    if (!res->ptr) { fail(err, NR_ERR_FAILED, "out of memory"); return NR_ERR_FAILED; }
    memcpy(res->ptr, bytes, len);
    res->len = len;
    return NR_OK;
}

static int32_t echo_call(nr_connection *c, nr_str op, nr_str args, nr_owned_str *res,
                         nr_error *err) {
#ifdef NR_TEST_HUGE_RESULT
    (void)args;
    res->ptr = small_result;
    res->len = HUGE_LEN;
    return NR_OK;
#endif
#ifdef NR_TEST_OPS
    if (op_is(op, "sleep")) {
        sleep(c->doomed ? 1 : 2);
        misbehave_in_call(c);
        return give(res, (const uint8_t *)"null", 4, err);
    }
    if (op_is(op, "pid")) {
        char text[64];
        int n = snprintf(text, sizeof text, "{\"pid\":%d,\"ppid\":%d}", (int)getpid(),
                         (int)getppid());
        return give(res, (const uint8_t *)text, (size_t)n, err);
    }
    if (op_is(op, "print")) {
        printf("echo prints this line to its stdout\n");
        fflush(stdout);
        return give(res, (const uint8_t *)"null", 4, err);
    }
#endif
    misbehave_in_call(c);
    if (op_is(op, "echo")) return give(res, args.ptr, args.len, err);
#ifdef NR_TEST_CLI
    /* A CLI transport: answers every command and config step with a JSON string naming the
     * operation and repeating its arguments (the tests only need to see them arrive). */
    if (op_is(op, "cli.command") || op_is(op, "cli.config")) {
        /* Worst case every byte of args is escaped. */
        char *text = malloc(op.len + 2 * args.len + 3);
        size_t i = 0, j;
        if (!text) { fail(err, NR_ERR_FAILED, "out of memory"); return NR_ERR_FAILED; }
        text[i++] = '"';
        memcpy(text + i, op.ptr, op.len); i += op.len;
        text[i++] = ' ';
        /* JSON-escape the arguments' quotes and backslashes (the tests send plain ASCII). */
        for (j = 0; j < args.len; j++) {
            if (args.ptr[j] == '"' || args.ptr[j] == '\\') text[i++] = '\\';
            text[i++] = (char)args.ptr[j];
        }
        text[i++] = '"';
        res->ptr = (uint8_t *)text;
        res->len = i;
        return NR_OK;
    }
#endif
    fail(err, NR_ERR_INVALID, "echo only knows `echo`");
    return NR_ERR_INVALID;
}

static int32_t echo_is_alive(nr_connection *c) {
#ifdef NR_TEST_HANG_IS_ALIVE
    HANG();
#endif
    return c && c->alive;
}
static void echo_close(nr_connection *c) {
#ifdef NR_TEST_HANG_CLOSE
    HANG();
#endif
    free(c);
}
static void echo_free_string(nr_owned_str s) {
    if (s.ptr != small_result) free(s.ptr);
}

#ifdef NR_TEST_CLI
#define TYPES "[\"cli\",\"custom\"]"
#else
#define TYPES "[\"custom\"]"
#endif
#ifdef NR_TEST_OPS
#define MORE_OPS ",{\"name\":\"sleep\",\"read_only\":true},{\"name\":\"pid\",\"read_only\":true}," \
                 "{\"name\":\"print\",\"read_only\":true}"
#else
#define MORE_OPS ""
#endif

/* NR_TEST_APPENDED_FIELD: a table built against a later revision of the header, with one field
 * appended that this netrun does not know. */
#ifdef NR_TEST_APPENDED_FIELD
typedef struct { nr_plugin_v1 base; int32_t (*from_the_future)(nr_connection *conn); } table_t;
#define BASE(t) ((t).base)
#else
typedef nr_plugin_v1 table_t;
#define BASE(t) (t)
#endif

/* NR_TEST_NO_SYMBOL exports the entry point under the wrong name. */
#ifdef NR_TEST_NO_SYMBOL
#define netrun_plugin_init netrun_plugin_init_misspelt
#endif
int32_t netrun_plugin_init(uint32_t host_abi, nr_plugin_v1 *table, uint32_t size, nr_error *err) {
    table_t t;
#ifdef NR_TEST_ABORT_INIT
    abort();
#endif
#ifdef NR_TEST_HANG_INIT
    HANG();
#endif
#ifdef NR_TEST_INIT_ERROR
    fail(err, NR_ERR_FAILED, "license file not found");
    return NR_ERR_FAILED;
#endif
    if (host_abi != NR_ABI_VERSION) { fail(err, NR_ERR_INVALID, "host has another ABI"); return NR_ERR_INVALID; }
    memset(&t, 0, sizeof t);
#ifdef NR_TEST_ABI
    BASE(t).abi_version = NR_TEST_ABI;
#else
    BASE(t).abi_version = NR_ABI_VERSION;
#endif
#if defined(NR_TEST_SMALL)
    BASE(t).struct_size = 8;
#elif defined(NR_TEST_REVISION_1_0)
    /* Built against revision 1.0 of the header: no cancel field. */
    BASE(t).struct_size = (uint32_t)NR_PLUGIN_SIZE_1_0;
#else
    BASE(t).struct_size = (uint32_t)sizeof t;
#endif
    BASE(t).open = echo_open;
    BASE(t).call = echo_call;
    BASE(t).is_alive = echo_is_alive;
    BASE(t).close = echo_close;
    BASE(t).free_string = echo_free_string;
    BASE(t).name = lit(NR_TEST_NAME);
#ifdef NR_TEST_HUGE_NAME
    BASE(t).name.len = HUGE_LEN;
#endif
    BASE(t).version = lit("1.0.0");
    BASE(t).info_json = lit("{\"command_types\":" TYPES ","
                            "\"operations\":[{\"name\":\"echo\",\"read_only\":true}" MORE_OPS "],"
                            "\"dry_run\":true}");
    /* Never write more than netrun gave us room for. */
    memcpy(table, &t, size < sizeof t ? size : sizeof t);
    return NR_OK;
}
