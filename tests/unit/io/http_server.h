/*
 * tests/unit/io/http_server.h - a scripted HTTP/1.1 server on 127.0.0.1 for
 * the HTTP client's tests. What it answers depends on the path:
 *
 *   /ok/...                 200 with a small body
 *   /status/CODE            CODE with an S3-style error document
 *   /flaky/ID/N/CODE        CODE (with Retry-After: 0) for the first N requests of ID, then 200
 *   /drop/ID/N              the connection closed without an answer N times, then 200
 *   /trunc/ID/N             100 bytes announced, 10 sent, connection closed, N times; then 200
 *   /big/SIZE               200 with SIZE bytes of 'x'
 *   /echo                   200 with the request body
 *   /stall                  a 200 head announcing 10 bytes, then nothing for 3 s
 *   /wait/MS                200 after MS milliseconds
 *
 * Test code only: it reads requests crudely (head to the empty line, then
 * Content-Length bytes).
 */
#ifndef ICE_TEST_HTTP_SERVER_H
#define ICE_TEST_HTTP_SERVER_H

#include <stddef.h>

typedef struct test_server test_server;

test_server *test_server_start(void);
int test_server_port(const test_server *s);
/* Connections accepted and requests read so far. */
unsigned test_server_accepts(test_server *s);
unsigned test_server_requests(test_server *s);
/* The head and body of the last request (copied into caller buffers). */
void test_server_last(test_server *s, char *head, size_t head_size, char *body, size_t body_size,
                      size_t *body_len);
/* A port with nothing listening on it. */
int test_server_closed_port(void);
void test_server_stop(test_server *s);

#endif
