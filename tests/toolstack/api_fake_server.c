/* SPDX-License-Identifier: MIT */
/*
 * The management API server (dom0-lite/api.c) on the host, behind a Unix socket, with
 * the fake back end of tests/unit/fake_bh.h: what tests/toolstack/test_bh_connect.py
 * runs `bh --connect` against.
 *
 *   api-fake-server --socket PATH [--timeout S]   serve one client at a time (as
 *                                                  QEMU's socket end of the channel)
 *   api-fake-server --shell                        the `bh>` shell's view: run each stdin
 *                                                  line through the command table on the
 *                                                  same fake, "\x1e<rc>\n" after each
 *
 * It exits by itself after --timeout seconds (default 120).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../dom0-lite/api.h"
#include "../unit/fake_bh.h"

static struct api_server srv;
static int client = -1;

static void to_client(const char *s, size_t len)
{
    while (client >= 0 && len) {
        ssize_t n = send(client, s, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return; /* gone: the next read says so */
        }
        s += n;
        len -= (size_t)n;
    }
}

static void con_echo(unsigned dom, const char *s, size_t len)
{
    api_console_output(&srv, dom, s, len);
}

static void to_stdout(const char *s, size_t len)
{
    fwrite(s, 1, len, stdout);
}

static int shell(void)
{
    char line[1024];

    fake_out = to_stdout;
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        int rc = bh_run_line(&fake_ops, line);

        printf("\x1e%d\n", rc);
        fflush(stdout);
    }
    return 0;
}

static int serve(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    static char buf[4096];

    if (ls < 0 || strlen(path) >= sizeof(sa.sun_path)) {
        perror("api-fake-server: socket");
        return 1;
    }
    strcpy(sa.sun_path, path);
    unlink(path);
    if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 4) < 0) {
        perror("api-fake-server: bind");
        return 1;
    }
    printf("api-fake-server: listening on %s\n", path);
    fflush(stdout);
    for (;;) {
        client = accept(ls, NULL, NULL);
        if (client < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("api-fake-server: accept");
            return 1;
        }
        api_reset(&srv);
        for (;;) {
            ssize_t n = recv(client, buf, sizeof(buf), 0);

            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                break;
            }
            api_input(&srv, buf, (size_t)n);
        }
        close(client);
        client = -1;
    }
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    bool sh = false;
    int timeout = 120;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
            path = argv[++i];
        } else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
            timeout = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--shell")) {
            sh = true;
        } else {
            fprintf(stderr, "usage: api-fake-server --socket PATH [--timeout S] | --shell\n");
            return 2;
        }
    }
    signal(SIGALRM, SIG_DFL);
    alarm((unsigned)timeout);
    fake_reset();
    if (sh) {
        return shell();
    }
    if (!path) {
        fprintf(stderr, "api-fake-server: --socket PATH or --shell\n");
        return 2;
    }
    api_init(&srv, &fake_ops, to_client);
    srv.console_history = fake_con_history; /* consoles: fake_bh.h's, echoing input */
    srv.console_input = fake_con_input;
    fake_con_echo = con_echo;
    return serve(path);
}
