/* SPDX-License-Identifier: MIT */
/* dom_main() for event-loop programs (dom/program.h). */
#include "dom/dom.h"
#include "dom/event.h"
#include "dom/program.h"

static volatile int exit_status = -1;
uint64_t dom_program_start_ns;

void dom_program_exit(int status)
{
    exit_status = status ? 1 : 0;
}

static void dispatch(uint32_t port, void *ctx)
{
    (void)ctx;
    notified(port);
}

int dom_main(void *dtb)
{
    int rc;

    rc = dom_init(dtb);
    dom_program_start_ns = dom_now_ns();
    if (rc) {
        return rc;
    }
    dom_fault_hook = fault;
    rc = dom_evtchn_init();
    if (rc) {
        dom_printf("dom: event channels unavailable (%d)\n", rc);
        return rc;
    }
    init();
    while (exit_status < 0) {
        if (!dom_evtchn_poll(dispatch, NULL) && exit_status < 0) {
            dom_evtchn_wait();
        }
    }
    return exit_status;
}
