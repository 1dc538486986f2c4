// SPDX-License-Identifier: MIT
/*
 * The end-to-end test's /init (docs/e2e.md): a freestanding static Linux program for
 * riscv64 or arm64, raw system calls only, no libc. It runs as PID 1 in an unmodified
 * Debian kernel booted on Bulkhead and checks, from inside the guest, what the vCPU
 * platform gives Linux:
 *
 *   cpus-online    /sys/devices/system/cpu/online names `e2e_cpus=N` CPUs (kernel cmdline)
 *   memory         /proc/meminfo's MemTotal is at most `e2e_mem=M` MiB and above half of
 *                  it (the kernel image and its reservations come out: 75-90% remain)
 *   timer-sleep    CLOCK_MONOTONIC advances by 100 ms (+-) across a 100 ms nanosleep
 *   timer-ticks    jiffies move on: CLOCK_MONOTONIC_COARSE advances across the sleep
 *   irq-timer      /proc/interrupts counts timer interrupts on every CPU
 *   irq-ipi        /proc/interrupts counts IPIs on every CPU (after migrating to each)
 *   xen-sysfs      only with `e2e_xen=1` (arm64 guests of the Xen ABI): /sys/hypervisor/type
 *                  is "xen" and /sys/hypervisor/version/{major,minor} name a version
 *
 * Each result is one line written to /dev/kmsg ("e2e: PASS name detail" / "e2e: FAIL
 * ..."), which the kernel prints on its console; then "e2e: DONE P passed, F failed" and
 * reboot(POWER_OFF), which Linux turns into SBI SRST on riscv64 and PSCI SYSTEM_OFF on
 * arm64: the domain powers off.
 */

typedef unsigned long ulong;
typedef long ssize;

/* asm-generic syscall numbers (riscv64 and arm64 use them). */
#define SYS_mkdirat           34
#define SYS_mount             40
#define SYS_openat            56
#define SYS_close             57
#define SYS_read              63
#define SYS_write             64
#define SYS_exit              93
#define SYS_nanosleep         101
#define SYS_clock_gettime     113
#define SYS_sched_setaffinity 122
#define SYS_sched_yield       124
#define SYS_reboot            142

#define AT_FDCWD                   (-100)
#define O_RDONLY                   0
#define O_WRONLY                   1
#define CLOCK_MONOTONIC            1
#define CLOCK_MONOTONIC_COARSE     6
#define LINUX_REBOOT_MAGIC1        0xfee1dead
#define LINUX_REBOOT_MAGIC2        672274793
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedc

#define MAX_CPUS 64

struct timespec {
    long tv_sec;
    long tv_nsec;
};

#if defined(__riscv)
#define SC_NR  "a7"
#define SC_A0  "a0"
#define SC_A1  "a1"
#define SC_A2  "a2"
#define SC_A3  "a3"
#define SC_A4  "a4"
#define SC_A5  "a5"
#define SC_INS "ecall"
#elif defined(__aarch64__)
#define SC_NR  "x8"
#define SC_A0  "x0"
#define SC_A1  "x1"
#define SC_A2  "x2"
#define SC_A3  "x3"
#define SC_A4  "x4"
#define SC_A5  "x5"
#define SC_INS "svc #0"
#else
#error "init.c: riscv64 or aarch64 only"
#endif

static long syscall6(long n, long a, long b, long c, long d, long e, long f)
{
    register long a0 __asm__(SC_A0) = a;
    register long a1 __asm__(SC_A1) = b;
    register long a2 __asm__(SC_A2) = c;
    register long a3 __asm__(SC_A3) = d;
    register long a4 __asm__(SC_A4) = e;
    register long a5 __asm__(SC_A5) = f;
    register long nr __asm__(SC_NR) = n;
    __asm__ volatile(SC_INS
                     : "+r"(a0)
                     : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(nr)
                     : "memory");
    return a0;
}

#define sys3(n, a, b, c) syscall6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* ---- small string helpers ---- */

/* The compiler may call these for struct initialisers and copies (freestanding C). */
void *memset(void *d, int c, ulong n);
void *memcpy(void *d, const void *s, ulong n);

void *memset(void *d, int c, ulong n)
{
    unsigned char *p = d;
    while (n--) {
        *p++ = (unsigned char)c;
    }
    return d;
}

void *memcpy(void *d, const void *s, ulong n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--) {
        *p++ = *q++;
    }
    return d;
}

static ulong str_len(const char *s)
{
    ulong n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

static int starts_with(const char *s, const char *prefix)
{
    while (*prefix) {
        if (*s++ != *prefix++) {
            return 0;
        }
    }
    return 1;
}

static const char *find(const char *s, const char *needle)
{
    for (; *s; s++) {
        if (starts_with(s, needle)) {
            return s;
        }
    }
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static long parse_ulong(const char **p)
{
    long v = 0;
    while (is_digit(**p)) {
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    return v;
}

struct buf {
    char s[256];
    ulong n;
};

static void put_str(struct buf *b, const char *s)
{
    while (*s && b->n < sizeof(b->s) - 2) {
        b->s[b->n++] = *s++;
    }
}

static void put_long(struct buf *b, long v)
{
    char tmp[24];
    int i = 0;
    if (v < 0) {
        put_str(b, "-");
        v = -v;
    }
    do {
        tmp[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (i && b->n < sizeof(b->s) - 2) {
        b->s[b->n++] = tmp[--i];
    }
}

/* ---- output ---- */

static int out_fd = -1;
static int passed, failed;

static void emit(struct buf *b)
{
    b->s[b->n++] = '\n';
    if (out_fd >= 0) {
        sys3(SYS_write, out_fd, b->s, b->n);
    }
}

static void result(int ok, const char *name, struct buf *detail)
{
    struct buf b = {.n = 0};
    put_str(&b, ok ? "e2e: PASS " : "e2e: FAIL ");
    put_str(&b, name);
    if (detail && detail->n) {
        put_str(&b, " ");
        detail->s[detail->n] = 0;
        put_str(&b, detail->s);
    }
    emit(&b);
    if (ok) {
        passed++;
    } else {
        failed++;
    }
}

static void note(const char *msg)
{
    struct buf b = {.n = 0};
    put_str(&b, "e2e: ");
    put_str(&b, msg);
    emit(&b);
}

/* ---- files ---- */

static char filebuf[32768];

/* Read a whole (small) file into filebuf, NUL-terminated; length or negative errno. */
static long read_file(const char *path)
{
    long fd = sys3(SYS_openat, AT_FDCWD, path, O_RDONLY);
    long n = 0, r;
    if (fd < 0) {
        return fd;
    }
    while (n < (long)sizeof(filebuf) - 1 &&
           (r = sys3(SYS_read, fd, filebuf + n, sizeof(filebuf) - 1 - n)) > 0) {
        n += r;
    }
    sys3(SYS_close, fd, 0, 0);
    filebuf[n] = 0;
    return n;
}

static long mount(const char *src, const char *dst, const char *type)
{
    sys3(SYS_mkdirat, AT_FDCWD, dst, 0755);
    return syscall6(SYS_mount, (long)src, (long)dst, (long)type, 0, 0, 0);
}

/* ---- time ---- */

static long now_ns(int clock)
{
    struct timespec ts;
    if (sys3(SYS_clock_gettime, clock, &ts, 0) != 0) {
        return -1;
    }
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    sys3(SYS_nanosleep, &ts, 0, 0);
}

/* ---- the checks ---- */

/* The number N of `KEY=N` (KEY ending in '=') on /proc/cmdline, else 0. */
static long cmdline_number(const char *key)
{
    const char *p, *q;
    if (read_file("/proc/cmdline") < 0 || !(p = find(filebuf, key))) {
        return 0;
    }
    q = p + str_len(key);
    return parse_ulong(&q);
}

/* Count the CPUs of a cpulist such as "0-1" or "0,2-3". */
static long count_cpulist(const char *p)
{
    long count = 0;
    while (is_digit(*p)) {
        long lo = parse_ulong(&p), hi = lo;
        if (*p == '-') {
            p++;
            hi = parse_ulong(&p);
        }
        count += hi - lo + 1;
        if (*p != ',') {
            break;
        }
        p++;
    }
    return count;
}

static long check_cpus(void)
{
    struct buf d = {.n = 0};
    long want = cmdline_number("e2e_cpus="), got;
    if (read_file("/sys/devices/system/cpu/online") < 0) {
        put_str(&d, "cannot read /sys/devices/system/cpu/online");
        result(0, "cpus-online", &d);
        return 0;
    }
    got = count_cpulist(filebuf);
    put_long(&d, got);
    put_str(&d, " online, want ");
    put_long(&d, want);
    result(want > 0 && got == want, "cpus-online", &d);
    return got;
}

static void check_timer(void)
{
    struct buf d = {.n = 0};
    long c0 = now_ns(CLOCK_MONOTONIC_COARSE), t0 = now_ns(CLOCK_MONOTONIC);
    long t1, c1, ms;
    sleep_ms(100);
    t1 = now_ns(CLOCK_MONOTONIC);
    c1 = now_ns(CLOCK_MONOTONIC_COARSE);
    ms = (t1 - t0) / 1000000;
    put_long(&d, (t1 - t0) / 1000);
    put_str(&d, " us");
    /* Never early (POSIX); generous on the late side: a loaded shared host under TCG. */
    result(t0 > 0 && t1 - t0 >= 100000000L && ms < 2000, "timer-sleep", &d);
    d.n = 0;
    put_long(&d, (c1 - c0) / 1000);
    put_str(&d, " us of jiffies");
    /* The coarse clock moves only on the tick: a timer interrupt was taken. */
    result(c0 > 0 && c1 - c0 >= 50000000L, "timer-ticks", &d);
}

/*
 * Sum the per-CPU columns of the /proc/interrupts lines whose text contains one of
 * @names (NULL-terminated), into counts[cpu].
 */
static void irq_counts(const char *const *names, long ncpus, long *counts)
{
    const char *p = filebuf;
    for (long c = 0; c < ncpus; c++) {
        counts[c] = 0;
    }
    while (*p) {
        char line[512];
        ulong n = 0;
        int match = 0;
        const char *q;
        for (; *p && *p != '\n'; p++) {
            if (n < sizeof(line) - 1) {
                line[n++] = *p;
            }
        }
        p += *p != 0;
        line[n] = 0;
        for (int i = 0; names[i]; i++) {
            match |= find(line, names[i]) != 0;
        }
        q = find(line, ":");
        if (!match || !q) {
            continue;
        }
        q++;
        for (long c = 0; c < ncpus; c++) {
            while (*q == ' ') {
                q++;
            }
            counts[c] += parse_ulong(&q);
        }
    }
}

static void check_irqs(const char *name, const char *const *names, long ncpus)
{
    long counts[MAX_CPUS];
    struct buf d = {.n = 0};
    int ok = ncpus > 0;
    if (read_file("/proc/interrupts") < 0) {
        put_str(&d, "cannot read /proc/interrupts");
        result(0, name, &d);
        return;
    }
    irq_counts(names, ncpus, counts);
    for (long c = 0; c < ncpus; c++) {
        put_str(&d, c ? " cpu" : "cpu");
        put_long(&d, c);
        put_str(&d, "=");
        put_long(&d, counts[c]);
        ok &= counts[c] > 0;
    }
    result(ok, name, &d);
}

/* MemTotal (kB) against `e2e_mem=M` (MiB): the kernel keeps some, never more than M. */
static void check_memory(void)
{
    struct buf d = {.n = 0};
    long want = cmdline_number("e2e_mem=") * 1024, got = -1;
    const char *p;
    if (read_file("/proc/meminfo") >= 0 && (p = find(filebuf, "MemTotal:"))) {
        p += str_len("MemTotal:");
        while (*p == ' ') {
            p++;
        }
        got = parse_ulong(&p);
    }
    put_long(&d, got);
    put_str(&d, " kB, want <= ");
    put_long(&d, want);
    result(want > 0 && got <= want && got > want / 2, "memory", &d);
}

/* Copy the first line of filebuf (read_file's result) into @d. */
static void put_first_line(struct buf *d)
{
    for (const char *p = filebuf; *p && *p != '\n' && d->n < sizeof(d->s) - 2; p++) {
        d->s[d->n++] = *p;
    }
}

/* /sys/hypervisor (CONFIG_XEN_SYS_HYPERVISOR): "xen" and a numeric major.minor. */
static void check_xen_sysfs(void)
{
    struct buf d = {.n = 0};
    int ok = read_file("/sys/hypervisor/type") > 0 && starts_with(filebuf, "xen\n");
    put_str(&d, "type=");
    put_first_line(&d);
    put_str(&d, " version=");
    ok &= read_file("/sys/hypervisor/version/major") > 0 && is_digit(filebuf[0]);
    put_first_line(&d);
    put_str(&d, ".");
    ok &= read_file("/sys/hypervisor/version/minor") > 0 && is_digit(filebuf[0]);
    put_first_line(&d);
    if (read_file("/sys/hypervisor/version/extra") > 0) {
        put_first_line(&d);
    }
    result(ok, "xen-sysfs", &d);
}

/* Run on each CPU in turn: the migrations and wake-ups make the kernel send IPIs. */
static void visit_cpus(long ncpus)
{
    for (int round = 0; round < 3; round++) {
        for (long c = 0; c < ncpus; c++) {
            ulong mask = 1UL << c;
            sys3(SYS_sched_setaffinity, 0, sizeof(mask), &mask);
            sys3(SYS_sched_yield, 0, 0, 0);
            sleep_ms(5);
        }
    }
    ulong all = ~0UL;
    sys3(SYS_sched_setaffinity, 0, sizeof(all), &all);
}

static void run(void)
{
    /* The timer's /proc/interrupts name: Linux's riscv-timer or arm_arch_timer driver. */
    static const char *const timer_names[] = {"riscv-timer", "arch_timer", 0};
    static const char *const ipi_names[] = {"IPI", 0};
    long ncpus;

    mount("proc", "/proc", "proc");
    mount("sysfs", "/sys", "sysfs");
    out_fd = (int)sys3(SYS_openat, AT_FDCWD, "/dev/kmsg", O_WRONLY);
    if (out_fd < 0) {
        out_fd = (int)sys3(SYS_openat, AT_FDCWD, "/dev/console", O_WRONLY);
    }
    note("init started");
    ncpus = check_cpus();
    if (ncpus > MAX_CPUS) {
        ncpus = MAX_CPUS;
    }
    check_memory();
    check_timer();
    visit_cpus(ncpus);
    check_irqs("irq-timer", timer_names, ncpus);
    check_irqs("irq-ipi", ipi_names, ncpus);
    if (cmdline_number("e2e_xen=") == 1) {
        check_xen_sysfs();
    }
    if (read_file("/proc/interrupts") > 0) {
        /* For the log: the whole table, a line at a time. */
        char *line = filebuf, *end;
        for (; *line; line = end + (*end != 0)) {
            struct buf b = {.n = 0};
            for (end = line; *end && *end != '\n'; end++) {
            }
            put_str(&b, "e2e: | ");
            for (char *p = line; p < end && b.n < sizeof(b.s) - 2; p++) {
                b.s[b.n++] = *p;
            }
            emit(&b);
        }
    }
    struct buf d = {.n = 0};
    put_str(&d, "e2e: DONE ");
    put_long(&d, passed);
    put_str(&d, " passed, ");
    put_long(&d, failed);
    put_str(&d, " failed");
    emit(&d);
}

void start_c(void);

void start_c(void)
{
    run();
    sys3(SYS_close, out_fd, 0, 0);
    syscall6(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, 0, 0,
             0);
    /* Not reached unless reboot failed; PID 1 exiting panics the kernel, which says so. */
    note("FAIL reboot returned");
    sys3(SYS_exit, 1, 0, 0);
}

/* Entry: align the stack (the psABIs want 16 bytes) and call start_c. */
#if defined(__riscv)
__asm__(".section .text._start\n"
        ".globl _start\n"
        "_start:\n"
        "  andi sp, sp, -16\n"
        "  call start_c\n"
        "1: j 1b\n");
#else
__asm__(".section .text._start\n"
        ".globl _start\n"
        "_start:\n"
        "  mov x0, sp\n"
        "  and sp, x0, #-16\n"
        "  bl start_c\n"
        "1: b 1b\n");
#endif
