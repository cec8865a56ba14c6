/* netrun connection plugin ABI v1. Mirrored in Rust by plugins/sdk/src/abi.rs.
 *
 * A plugin is a shared library exporting netrun_plugin_init. netrun calls it once, with a
 * zeroed table of table_size bytes; the plugin fills in at most table_size bytes, sets
 * abi_version and struct_size, and returns 0 (or an NR_ERR_* code with err filled in).
 * Fields are only ever appended; netrun never reads past struct_size.
 *
 * Strings are (ptr, len) UTF-8, not NUL-terminated. Whoever allocates frees: metadata strings
 * are static in the plugin; strings returned by call() are freed by netrun calling
 * free_string(); strings netrun passes in are valid only during the call. Errors are copied
 * into the caller's nr_error, so no allocation crosses the boundary. A connection is used by
 * one thread at a time, but not always the same thread. */
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

/* Absent values are empty strings. port is decimal; extras_json is a JSON object. */
typedef struct nr_open_params {
    nr_str hostname, port, username, password, platform, extras_json;
} nr_open_params;

typedef struct nr_plugin_v1 {
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
} nr_plugin_v1;

int32_t netrun_plugin_init(uint32_t host_abi_version, nr_plugin_v1 *table, uint32_t table_size,
                           nr_error *err);

#ifdef __cplusplus
}
#endif
#endif
