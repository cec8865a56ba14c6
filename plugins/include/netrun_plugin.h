/* netrun connection plugin ABI v1. Mirrored in Rust by plugins/sdk/src/abi.rs; a test
 * (tests/abi.rs) compiles this header and checks that sizes and offsets agree.
 *
 * A plugin is a shared library exporting netrun_plugin_init. netrun calls it once, with a
 * zeroed table of table_size bytes; the plugin fills in at most table_size bytes, sets
 * abi_version and struct_size, and returns 0 (or an NR_ERR_* code with err filled in).
 *
 * Versions. abi_version is the major version: a host refuses a table of another major, and a
 * plugin refuses a host of another major. Within a major, revisions only append fields to
 * nr_plugin_v1; NR_PLUGIN_SIZE_1_0, NR_PLUGIN_SIZE_1_1, ... give each revision's size. A plugin
 * sets struct_size to the size of the revision it was built against (sizeof its table); a host
 * accepts any struct_size of at least NR_PLUGIN_SIZE_1_0 and reads only the fields below both
 * struct_size and its own table's size, treating later ones as absent (null). So older plugins
 * load in newer hosts and newer plugins in older hosts.
 *
 * Strings are (ptr, len) UTF-8, not NUL-terminated. A null ptr (len 0) means "absent"; a
 * non-null ptr with len 0 is the empty string. Lengths are at most 1 GiB. Whoever allocates
 * frees: metadata strings are static in the plugin; strings returned by call() are freed by
 * netrun calling free_string(); strings netrun passes in are valid only during the call. Errors
 * are copied into the caller's nr_error, so no allocation crosses the boundary. A connection is
 * used by one thread at a time, but not always the same thread; only cancel() may be called
 * from another thread while call() runs.
 *
 * Operations. A "call:" step with operation NAME reaches call(conn, NAME, args_json). A plugin
 * whose info_json declares the "cli" command type also receives "command:" and "config:" steps:
 *   "cli.command"  args {"command": "show version"}          result: a JSON string (the output)
 *   "cli.config"   args {"lines": ["ntp server 1.1.1.1", ...]} result: a JSON string
 * so a CLI transport (telnet, a serial console) can be a plugin. */
#ifndef NETRUN_PLUGIN_H
#define NETRUN_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NR_ABI_VERSION 1u
#define NR_OK 0
#define NR_ERR_FAILED 1      /* the operation failed on a working connection */
#define NR_ERR_UNREACHABLE 2 /* the device could not be reached */
#define NR_ERR_PANIC 3       /* a bug in the plugin */
#define NR_ERR_INVALID 4     /* bad request: unknown operation, bad arguments, ABI */
#define NR_ERROR_MESSAGE_SIZE 1024

typedef struct nr_str { const uint8_t *ptr; size_t len; } nr_str;
typedef struct nr_owned_str { uint8_t *ptr; size_t len; } nr_owned_str;
typedef struct nr_error {
    int32_t code;
    uint32_t len;                          /* bytes used in message */
    char message[NR_ERROR_MESSAGE_SIZE];   /* UTF-8, not NUL-terminated */
} nr_error;

typedef struct nr_connection nr_connection; /* opaque, owned by the plugin */

/* Unset values are absent (null ptr). port is decimal; extras_json is a JSON object. */
typedef struct nr_open_params {
    nr_str hostname, port, username, password, platform, extras_json;
} nr_open_params;

typedef struct nr_plugin_v1 {
    /* revision 1.0 */
    uint32_t abi_version;
    uint32_t struct_size;
    int32_t (*open)(const nr_open_params *params, nr_connection **out, nr_error *err);
    int32_t (*call)(nr_connection *conn, nr_str operation, nr_str args_json,
                    nr_owned_str *result_json, nr_error *err);
    int32_t (*is_alive)(nr_connection *conn);
    void (*close)(nr_connection *conn);
    void (*free_string)(nr_owned_str s);
    nr_str name;      /* ^[a-z0-9_]+$ */
    nr_str version;
    nr_str info_json; /* {"command_types":["custom"],"operations":[{"name":"x","read_only":true}],"dry_run":true} */
    /* revision 1.1 */
    /* Optional: asks a call() running on conn in another thread to return soon; netrun calls
     * it when a deadline passes. Returns NR_OK when the call will return. */
    int32_t (*cancel)(nr_connection *conn);
} nr_plugin_v1;

#define NR_PLUGIN_SIZE_1_0 offsetof(nr_plugin_v1, cancel)
#define NR_PLUGIN_SIZE_1_1 sizeof(nr_plugin_v1)

int32_t netrun_plugin_init(uint32_t host_abi_version, nr_plugin_v1 *table, uint32_t table_size,
                           nr_error *err);

#ifdef __cplusplus
}
#endif
#endif
