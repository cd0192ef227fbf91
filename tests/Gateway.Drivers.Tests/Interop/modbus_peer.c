/*
 * modbus_peer: an independent Modbus peer built on libmodbus, for Gateway's interop tests and
 * benchmark. Built by the tests with: gcc -O2 modbus_peer.c $(pkg-config --cflags --libs libmodbus)
 *
 *   modbus_peer server tcp PORT            Modbus TCP server on 127.0.0.1 (PORT 0: any; prints "listening PORT")
 *   modbus_peer server rtu DEVICE UNIT     RTU slave UNIT on a serial device or pty (prints "ready")
 *   modbus_peer client tcp PORT N          N reads of 10 holding registers from 127.0.0.1:PORT, prints latencies
 *   modbus_peer client rtu DEVICE UNIT N   the same over RTU
 *
 * Server tables (4000 entries each, from address 0): holding[i] = 3i+1, input[i] = 5i+2,
 * coils[i] = (i % 3 == 0), discrete[i] = (i % 2 == 0). Set PEER_DEBUG=1 for libmodbus's frame dump,
 * PEER_SAMPLES=1 to have a client print every latency ("sample US") before its summary line.
 */
#include <errno.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define TABLE_SIZE 4000

static modbus_mapping_t *make_mapping(void)
{
    modbus_mapping_t *map = modbus_mapping_new(TABLE_SIZE, TABLE_SIZE, TABLE_SIZE, TABLE_SIZE);
    if (map == NULL) {
        fprintf(stderr, "modbus_mapping_new: %s\n", modbus_strerror(errno));
        exit(1);
    }
    for (int i = 0; i < TABLE_SIZE; i++) {
        map->tab_registers[i] = (uint16_t)(3 * i + 1);
        map->tab_input_registers[i] = (uint16_t)(5 * i + 2);
        map->tab_bits[i] = (i % 3 == 0);
        map->tab_input_bits[i] = (i % 2 == 0);
    }
    return map;
}

static void debug(modbus_t *ctx)
{
    const char *d = getenv("PEER_DEBUG");
    if (d != NULL && d[0] == '1') {
        modbus_set_debug(ctx, TRUE);
    }
}

static int serve_tcp(int port)
{
    modbus_t *ctx = modbus_new_tcp("127.0.0.1", port);
    debug(ctx);
    modbus_mapping_t *map = make_mapping();
    int listener = modbus_tcp_listen(ctx, 4);
    if (listener < 0) {
        fprintf(stderr, "listen: %s\n", modbus_strerror(errno));
        return 1;
    }
    struct sockaddr_in bound;
    socklen_t len = sizeof(bound);
    getsockname(listener, (struct sockaddr *)&bound, &len);
    printf("listening %d\n", ntohs(bound.sin_port));
    fflush(stdout);
    uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
    for (;;) {
        if (modbus_tcp_accept(ctx, &listener) < 0) {
            fprintf(stderr, "accept: %s\n", modbus_strerror(errno));
            return 1;
        }
        for (;;) {
            int rc = modbus_receive(ctx, query);
            if (rc > 0) {
                modbus_reply(ctx, query, rc, map);
            } else if (rc == -1) {
                break; /* client closed or sent garbage: wait for the next one */
            }
        }
        modbus_close(ctx);
    }
}

static modbus_t *new_rtu(const char *device, int unit)
{
    modbus_t *ctx = modbus_new_rtu(device, 19200, 'E', 8, 1);
    if (ctx == NULL) {
        fprintf(stderr, "modbus_new_rtu: %s\n", modbus_strerror(errno));
        exit(1);
    }
    debug(ctx);
    modbus_set_slave(ctx, unit);
    if (modbus_connect(ctx) < 0) {
        fprintf(stderr, "connect %s: %s\n", device, modbus_strerror(errno));
        exit(1);
    }
    return ctx;
}

static int serve_rtu(const char *device, int unit)
{
    modbus_t *ctx = new_rtu(device, unit);
    modbus_mapping_t *map = make_mapping();
    printf("ready\n");
    fflush(stdout);
    uint8_t query[MODBUS_RTU_MAX_ADU_LENGTH];
    for (;;) {
        int rc = modbus_receive(ctx, query);
        if (rc > 0) {
            modbus_reply(ctx, query, rc, map);
        } else if (rc == -1 && errno != EMBBADCRC && errno != ETIMEDOUT && errno != EMBBADDATA) {
            fprintf(stderr, "receive: %s\n", modbus_strerror(errno));
            if (errno == EIO || errno == EBADF) {
                return 1;
            }
        }
    }
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int poll_reads(modbus_t *ctx, int n)
{
    const int warmup = n / 10 + 10;
    double *us = calloc((size_t)n, sizeof(double));
    uint16_t dest[10];
    modbus_set_response_timeout(ctx, 1, 0);
    for (int i = 0; i < n + warmup; i++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (modbus_read_registers(ctx, 0, 10, dest) != 10) {
            fprintf(stderr, "read: %s\n", modbus_strerror(errno));
            return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (i >= warmup) {
            us[i - warmup] = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
        }
    }
    const char *samples = getenv("PEER_SAMPLES");
    if (samples != NULL && samples[0] == '1') {
        for (int i = 0; i < n; i++) {
            printf("sample %.3f\n", us[i]);
        }
    }
    qsort(us, (size_t)n, sizeof(double), compare);
    int p99 = (int)((double)n * 0.99 + 0.999999) - 1;
    printf("n=%d median=%.1fus p99=%.1fus min=%.1fus\n", n, us[n / 2], us[p99 < 0 ? 0 : p99], us[0]);
    free(us);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 4 && strcmp(argv[1], "server") == 0 && strcmp(argv[2], "tcp") == 0) {
        return serve_tcp(atoi(argv[3]));
    }
    if (argc >= 5 && strcmp(argv[1], "server") == 0 && strcmp(argv[2], "rtu") == 0) {
        return serve_rtu(argv[3], atoi(argv[4]));
    }
    if (argc >= 5 && strcmp(argv[1], "client") == 0 && strcmp(argv[2], "tcp") == 0) {
        modbus_t *ctx = modbus_new_tcp("127.0.0.1", atoi(argv[3]));
        debug(ctx);
        if (modbus_connect(ctx) < 0) {
            fprintf(stderr, "connect: %s\n", modbus_strerror(errno));
            return 1;
        }
        return poll_reads(ctx, atoi(argv[4]));
    }
    if (argc >= 6 && strcmp(argv[1], "client") == 0 && strcmp(argv[2], "rtu") == 0) {
        return poll_reads(new_rtu(argv[3], atoi(argv[4])), atoi(argv[5]));
    }
    fprintf(stderr, "usage: modbus_peer server tcp PORT | server rtu DEVICE UNIT | client tcp PORT N | client rtu DEVICE UNIT N\n");
    return 2;
}
