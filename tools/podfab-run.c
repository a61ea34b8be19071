/*
 * podfab-run - the local launcher: starts N accelerator processes of one job
 * on this host, places them on the CPUs with hwloc, forwards signals, reports
 * the first failure and removes the job's shared-memory objects at the end.
 *
 * Every accelerator gets the launcher environment that podfab_init() reads:
 * PODFAB_JOB, PODFAB_ACCEL_ID, PODFAB_NACCELS, and PODFAB_MODEL, PODFAB_TIMING,
 * PODFAB_DILATION, PODFAB_STATS, PODFAB_TRANSPORT when the matching option is
 * given.  With --report the job's timing region outlives the accelerators
 * (PODFAB_STATS_KEEP=1) so that the launcher can print its counters
 * (podfab/stat.h) before it sweeps the job's shared-memory objects.
 *
 * A job may span several launchers (hosts): --world N is the job's size,
 * --first ID the id of this launcher's first accelerator, and --rendezvous
 * HOST:PORT (PODFAB_RENDEZVOUS) where the accelerators meet over TCP.
 *
 * The launcher is single-threaded.  It blocks SIGCHLD and the signals it
 * forwards and takes them synchronously with sigtimedwait(), so there are no
 * signal handlers, no busy loop, and the deadlines (--timeout, the grace
 * period before SIGKILL) are the sigtimedwait() timeouts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <podfab/podfab.h>
#include <podfab/stat.h>

#include "podfab_config.h"

#if PODFAB_HAVE_HWLOC
#include <hwloc.h>
#endif

#define PROG "podfab-run"
#define MAX_ACCELS 4096
#define MAX_WORLD 65536 /* accelerators in a job, all launchers together */
#define RENDEZVOUS_MAX 255
#define JOB_MAX 48
#define STOP_GRACE_NS 2000000000ll /* SIGTERM, then SIGKILL this much later */
#define SHM_DIR "/dev/shm"
#define EXIT_USAGE 2
#define EXIT_TIMEOUT 124
#define EXIT_EXEC 127
/*
 * An accelerator that exits with this status asks for the whole job to end
 * with status 0 (shmem_global_exit(0)): the others are stopped as after a
 * failure, but the job succeeds.  Documented in podfab-run(1).
 */
#define EXIT_END_JOB_OK 251
#define DEFAULT_REPORT_TOP 5

enum bind_mode {
	BIND_AUTO, /* bind to spread cores when there are enough, else do not bind */
	BIND_CORE,
	BIND_NUMA,
	BIND_NONE
};

static const char *const bind_names[] = {"auto", "core", "numa", "none"};

struct options {
	int naccels; /* 0: not given */
	const char *model;
	const char *timing;
	const char *dilation; /* as given, once checked */
	const char *stats;    /* --stats FILE */
	int report_top;       /* --report[=N]: links in the report; 0: no report */
	const char *transport;
	enum bind_mode bind;
	int print_topology;
	double timeout_s; /* 0: none */
	const char *job;
	const char *rendezvous; /* --rendezvous HOST:PORT */
	int world;              /* --world N; 0: not given (the job is -n N) */
	int first;              /* --first ID; -1: not given (0) */
	int verbose;
	char **program; /* argv of the program; NULL when none was given */
};

/* One accelerator process. */
struct child {
	pid_t pid; /* 0: not started or already reaped */
	int status;
};

/* The job while it runs. */
struct job {
	const struct options *opt;
	char name[JOB_MAX + 1];
	struct child *kids;
	int nkids;    /* started */
	int nlive;    /* started and not yet reaped */
	int first_failed; /* index of the first accelerator that failed, or -1 */
	int exit_code;    /* what the launcher returns for that failure */
	int timed_out;
	int64_t kill_at; /* monotonic ns when the survivors get SIGKILL; 0: not armed */
	sigset_t waitset;  /* SIGCHLD and the forwarded signals, blocked */
	sigset_t oldmask;  /* the mask to give back to the children */
	struct sigaction oldpipe; /* SIGPIPE as the launcher found it, for the children */
};

/* The signals the launcher forwards to every live accelerator. */
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void bad_option(int c, char **argv) __attribute__((noreturn));

/* A command-line mistake: say what is wrong, point at --help, exit 2. */
static void usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n" PROG ": try '" PROG " --help' for more information\n", stderr);
	exit(EXIT_USAGE);
}

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void msg(const char *fmt, ...)
{
	va_list ap;
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *signal_name(int sig)
{
	static char other[32];
	switch (sig) {
	case SIGHUP: return "SIGHUP";
	case SIGINT: return "SIGINT";
	case SIGQUIT: return "SIGQUIT";
	case SIGILL: return "SIGILL";
	case SIGTRAP: return "SIGTRAP";
	case SIGABRT: return "SIGABRT";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGKILL: return "SIGKILL";
	case SIGUSR1: return "SIGUSR1";
	case SIGSEGV: return "SIGSEGV";
	case SIGUSR2: return "SIGUSR2";
	case SIGPIPE: return "SIGPIPE";
	case SIGALRM: return "SIGALRM";
	case SIGTERM: return "SIGTERM";
	case SIGCHLD: return "SIGCHLD";
	case SIGCONT: return "SIGCONT";
	case SIGSTOP: return "SIGSTOP";
	case SIGTSTP: return "SIGTSTP";
	case SIGTTIN: return "SIGTTIN";
	case SIGTTOU: return "SIGTTOU";
	case SIGURG: return "SIGURG";
	case SIGXCPU: return "SIGXCPU";
	case SIGXFSZ: return "SIGXFSZ";
	case SIGVTALRM: return "SIGVTALRM";
	case SIGPROF: return "SIGPROF";
	case SIGSYS: return "SIGSYS";
	default:
		snprintf(other, sizeof other, "%d", sig);
		return other;
	}
}

static void print_help(void)
{
	printf("Usage: " PROG " -n N [options] [--] PROGRAM [ARGS...]\n"
	       "       " PROG " --print-topology [-n N] [--bind MODE]\n"
	       "\n"
	       "Start N emulated accelerators of one podfab job on this host: N processes\n"
	       "running PROGRAM ARGS..., each attached to the pod by podfab_init(NULL, ...).\n"
	       "\n"
	       "Options:\n"
	       "  -n, --naccels N       number of accelerators (processes), 1..%d\n"
	       "  -m, --model MODEL     fabric model file or generator string (PODFAB_MODEL)\n"
	       "      --timing MODE     timing mode: functional, realtime or virtual\n"
	       "                        (PODFAB_TIMING; the library's default is functional)\n"
	       "      --dilation K      realtime timing: K wall-clock ns per model ns\n"
	       "                        (PODFAB_DILATION)\n"
	       "      --stats FILE      with timing: accelerator 0 writes the job's link and\n"
	       "                        clock counters to FILE as JSON at the end (PODFAB_STATS)\n"
	       "      --report[=N]      with timing: when the job ends, print the model time\n"
	       "                        and the N busiest links (default %d) to stderr\n"
	       "      --transport NAME  transport to use (PODFAB_TRANSPORT); built in: ",
	       MAX_ACCELS, DEFAULT_REPORT_TOP);
	const char *const *tp = podfab_transports();
	for (int i = 0; tp && tp[i]; i++)
		printf("%s%s", i ? ", " : "", tp[i]);
	printf("\n"
	       "      --bind MODE       CPU placement of the accelerators:\n"
	       "                          core  accelerator i on one core: spread over the\n"
	       "                                machine with hwloc_distrib when N <= cores,\n"
	       "                                else core (i mod cores)\n"
	       "                          numa  accelerator i on the CPUs of NUMA node\n"
	       "                                (i mod NUMA nodes)\n"
	       "                          none  no binding\n"
	       "                        default: as core when N <= cores, otherwise no\n"
	       "                        binding (oversubscribed: binding would hurt)\n"
	       "      --print-topology  print the host topology (packages, NUMA nodes, cores,\n"
	       "                        PUs with their cpusets) and, with -n, the placement of\n"
	       "                        every accelerator; then run PROGRAM if one is given\n"
	       "      --timeout SECONDS stop the job after SECONDS (decimals allowed) and exit\n"
	       "                        with status 124\n"
	       "      --job NAME        job name instead of a generated unique one\n"
	       "                        ([A-Za-z0-9_-], at most %d characters); every\n"
	       "                        launcher of a job must give the same name\n"
	       "      --rendezvous HOST:PORT\n"
	       "                        the accelerators meet over TCP at HOST:PORT\n"
	       "                        (PODFAB_RENDEZVOUS): accelerator 0 listens there,\n"
	       "                        the others connect ([IPV6]:PORT for an IPv6 address);\n"
	       "                        without --job the job name is derived from HOST:PORT\n"
	       "      --world N         the job has N accelerators on all hosts together\n"
	       "                        (PODFAB_NACCELS=N; default: -n)\n"
	       "      --first ID        this launcher's accelerators are ID .. ID+n-1\n"
	       "                        (default 0; needs --world)\n"
	       "  -v, --verbose         print the job name, placement and every pid to stderr\n"
	       "  -h, --help            print this help and exit\n"
	       "  -V, --version         print the version and exit\n"
	       "\n"
	       "Environment set for every accelerator:\n"
	       "  PODFAB_JOB        the job name (unique per run unless --job or\n"
	       "                    --rendezvous is given)\n"
	       "  PODFAB_ACCEL_ID   this accelerator's id, 0..N-1 (ID..ID+N-1 with --first)\n"
	       "  PODFAB_NACCELS    N (the --world size when given)\n"
	       "  PODFAB_RENDEZVOUS with --rendezvous only\n"
	       "  PODFAB_MODEL      with -m only\n"
	       "  PODFAB_TIMING     with --timing only\n"
	       "  PODFAB_DILATION   with --dilation only\n"
	       "  PODFAB_STATS      with --stats only\n"
	       "  PODFAB_STATS_KEEP 1, with --report only\n"
	       "  PODFAB_TRANSPORT  with --transport only\n"
	       "Other variables (PODFAB_TIMEOUT_MS, ...) are passed through unchanged.\n"
	       "\n"
	       "Signals: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to the\n"
	       "launcher are forwarded to every running accelerator (a signal that the\n"
	       "terminal sends to the whole process group, such as Ctrl-C, already reaches\n"
	       "them and is not sent twice).  After SIGINT, SIGTERM, SIGHUP or SIGQUIT the\n"
	       "accelerators have 2 s to exit before they are killed.  Accelerators die\n"
	       "with the launcher.\n"
	       "\n"
	       "When an accelerator fails (non-zero exit or killed by a signal), the others\n"
	       "get SIGTERM, then SIGKILL 2 s later.  When the job ends, every shared-memory\n"
	       "object it left behind (" SHM_DIR "/podfab.<job>.*) is removed.\n"
	       "\n"
	       "Exit status: 0 when every accelerator exits with 0; otherwise the status of\n"
	       "the first one that failed (128+signal number if a signal killed it); 124\n"
	       "after --timeout; 127 when PROGRAM cannot be run; 2 for a usage error;\n"
	       "1 when the launcher itself fails.\n",
	       JOB_MAX);
}

static void print_version(void)
{
	printf(PROG " (podfab) %s\nlibpodfab %s\nhwloc placement: %s\n", PODFAB_VERSION_STRING,
	       podfab_version_string(), PODFAB_HAVE_HWLOC ? "yes" : "no (built without hwloc)");
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

enum long_only {
	OPT_TIMING = 256,
	OPT_TRANSPORT,
	OPT_BIND,
	OPT_PRINT_TOPOLOGY,
	OPT_TIMEOUT,
	OPT_JOB,
	OPT_DILATION,
	OPT_STATS,
	OPT_REPORT,
	OPT_RENDEZVOUS,
	OPT_WORLD,
	OPT_FIRST
};

static const struct option long_options[] = {
	{"naccels", required_argument, NULL, 'n'},
	{"model", required_argument, NULL, 'm'},
	{"timing", required_argument, NULL, OPT_TIMING},
	{"dilation", required_argument, NULL, OPT_DILATION},
	{"stats", required_argument, NULL, OPT_STATS},
	{"report", optional_argument, NULL, OPT_REPORT},
	{"transport", required_argument, NULL, OPT_TRANSPORT},
	{"bind", required_argument, NULL, OPT_BIND},
	{"print-topology", no_argument, NULL, OPT_PRINT_TOPOLOGY},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"job", required_argument, NULL, OPT_JOB},
	{"rendezvous", required_argument, NULL, OPT_RENDEZVOUS},
	{"world", required_argument, NULL, OPT_WORLD},
	{"first", required_argument, NULL, OPT_FIRST},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

/* '+': stop at the first non-option (the program); ':': report a missing value as ':'. */
static const char short_options[] = "+:n:m:vhV";

static int job_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > JOB_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* The name of the long option with value val, for messages. */
static const char *long_name(int val)
{
	for (const struct option *o = long_options; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

static int parse_naccels(const char *s)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0')
		usage_error("-n needs a whole number of accelerators, not '%s'", s);
	if (v < 1 || v > MAX_ACCELS)
		usage_error("-n %s: the number of accelerators must be between 1 and %d", s,
			    MAX_ACCELS);
	return (int)v;
}

static const char *parse_dilation(const char *s)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !isfinite(v) || v <= 0)
		usage_error("--dilation '%s': expected a number greater than 0 (wall-clock ns per "
			    "model ns)",
			    s);
	return s;
}

static int parse_report(const char *s)
{
	if (!s)
		return DEFAULT_REPORT_TOP;
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < 1 || v > 1000000)
		usage_error("--report=%s: expected a whole number of links, 1 or more", s);
	return (int)v;
}

static const char *parse_transport(const char *s)
{
	const char *const *tp = podfab_transports();
	char list[256] = "";
	for (int i = 0; tp && tp[i]; i++) {
		if (!strcmp(tp[i], s))
			return s;
		size_t used = strlen(list);
		snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", tp[i]);
	}
	usage_error("--transport '%s': no such transport in this build (available: %s)", s, list);
}

static enum bind_mode parse_bind(const char *s)
{
	for (int m = BIND_CORE; m <= BIND_NONE; m++)
		if (!strcmp(s, bind_names[m]))
			return (enum bind_mode)m;
	usage_error("--bind '%s': unknown placement (valid: core, numa, none)", s);
}

static double parse_timeout(const char *s)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !isfinite(v) || v <= 0 || v > 1e9)
		usage_error("--timeout '%s': expected a number of seconds greater than 0", s);
	return v;
}

/*
 * --rendezvous HOST:PORT or [IPV6]:PORT: checked here so that a typing
 * mistake stops the launcher, not every accelerator.  Whether HOST resolves
 * is for the accelerators to find out (the root resolves it on its own host).
 */
static const char *parse_rendezvous(const char *s)
{
	const char *port;
	size_t hlen;
	if (strlen(s) > RENDEZVOUS_MAX)
		usage_error("--rendezvous: longer than %d characters", RENDEZVOUS_MAX);
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			usage_error("--rendezvous '%s': expected [IPV6]:PORT", s);
		hlen = (size_t)(rb - s - 1);
		port = rb + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (!colon)
			usage_error("--rendezvous '%s' has no port: expected HOST:PORT", s);
		if (memchr(s, ':', (size_t)(colon - s)))
			usage_error("--rendezvous '%s': write an IPv6 address in brackets, [ADDR]:PORT", s);
		hlen = (size_t)(colon - s);
		port = colon + 1;
	}
	if (hlen == 0)
		usage_error("--rendezvous '%s' has no host: expected HOST:PORT", s);
	char *end = NULL;
	errno = 0;
	long v = strtol(port, &end, 10);
	if (!*port || *end || errno || *port == '-' || *port == '+' || v < 1 || v > 65535)
		usage_error("--rendezvous '%s': the port must be a number from 1 to 65535", s);
	return s;
}

/* --world and --first: a whole number in [lo, hi]. */
static int parse_count(const char *s, const char *opt, long lo, long hi)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < lo || v > hi)
		usage_error("--%s '%s': expected a whole number from %ld to %ld", opt, s, lo, hi);
	return (int)v;
}

/*
 * The job name of a --rendezvous job without --job: the same on every host,
 * from HOST:PORT as given: "rv-<host, sanitized>-<port>-<hash of HOST:PORT>".
 */
static void rendezvous_job_name(const char *rv, char *buf, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const char *p = rv; *p; p++) {
		h ^= (uint8_t)*p;
		h *= 16777619u;
	}
	char host[25];
	size_t k = 0;
	const char *colon = strrchr(rv, ':');
	for (const char *p = rv; p < colon && k < sizeof host - 1; p++) {
		char c = *p;
		if (c == '[' || c == ']')
			continue;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
		host[k++] = ok ? c : '-';
	}
	host[k] = '\0';
	snprintf(buf, len, "rv-%s-%s-%08x", host, colon + 1, (unsigned)h);
}

/* getopt_long returned ':' or '?': say which option was wrong and how. */
static void bad_option(int c, char **argv)
{
	const char *arg = argv[optind - 1];
	if (c == ':') {
		if (optopt > 0 && optopt < 256)
			usage_error("option '-%c' needs a value", optopt);
		usage_error("option '--%s' needs a value", long_name(optopt));
	}
	if (optopt >= 256)
		usage_error("option '--%s' does not take a value", long_name(optopt));
	/* A known short option reported as '?' was its long form given "=value". */
	if (optopt > 0 && optopt != ':' && strchr(short_options + 2, optopt))
		usage_error("option '%.*s' does not take a value", (int)strcspn(arg, "="), arg);
	if (optopt > 0)
		usage_error("unknown option '-%c'", optopt);
	usage_error("unknown or ambiguous option '%s'", arg);
}

static void parse_options(int argc, char **argv, struct options *opt)
{
	memset(opt, 0, sizeof *opt);
	opt->bind = BIND_AUTO;
	opt->first = -1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
		switch (c) {
		case 'n':
			opt->naccels = parse_naccels(optarg);
			break;
		case 'm':
			if (!*optarg)
				usage_error("-m needs a model, not an empty string");
			opt->model = optarg;
			break;
		case OPT_TIMING:
			if (strcmp(optarg, "functional") && strcmp(optarg, "realtime") &&
			    strcmp(optarg, "virtual"))
				usage_error("--timing '%s': unknown timing mode "
					    "(valid: functional, realtime, virtual)",
					    optarg);
			opt->timing = optarg;
			break;
		case OPT_DILATION:
			opt->dilation = parse_dilation(optarg);
			break;
		case OPT_STATS:
			if (!*optarg)
				usage_error("--stats needs a file name, not an empty string");
			opt->stats = optarg;
			break;
		case OPT_REPORT:
			opt->report_top = parse_report(optarg);
			break;
		case OPT_TRANSPORT:
			opt->transport = parse_transport(optarg);
			break;
		case OPT_BIND:
			opt->bind = parse_bind(optarg);
			break;
		case OPT_PRINT_TOPOLOGY:
			opt->print_topology = 1;
			break;
		case OPT_TIMEOUT:
			opt->timeout_s = parse_timeout(optarg);
			break;
		case OPT_JOB:
			if (!job_name_valid(optarg))
				usage_error("--job '%s': a job name is 1 to %d characters from "
					    "[A-Za-z0-9_-]",
					    optarg, JOB_MAX);
			opt->job = optarg;
			break;
		case OPT_RENDEZVOUS:
			opt->rendezvous = parse_rendezvous(optarg);
			break;
		case OPT_WORLD:
			opt->world = parse_count(optarg, "world", 1, MAX_WORLD);
			break;
		case OPT_FIRST:
			opt->first = parse_count(optarg, "first", 0, MAX_WORLD - 1);
			break;
		case 'v':
			opt->verbose++;
			break;
		case 'h':
			print_help();
			exit(0);
		case 'V':
			print_version();
			exit(0);
		default:
			bad_option(c, argv);
		}
	}
	if (optind < argc)
		opt->program = &argv[optind];
#if !PODFAB_HAVE_HWLOC
	if (opt->bind == BIND_CORE || opt->bind == BIND_NUMA)
		usage_error("--bind %s: this podfab-run was built without hwloc, so it cannot "
			    "place accelerators (use --bind none)",
			    bind_names[opt->bind]);
	if (opt->print_topology)
		usage_error("--print-topology: this podfab-run was built without hwloc");
#endif
	if (!opt->program && !opt->print_topology)
		usage_error("no program to run");
	if (opt->program && !opt->naccels)
		usage_error("missing -n N: how many accelerators to start");
	if (opt->first >= 0 && !opt->world)
		usage_error("--first %d needs --world N, the number of accelerators of the whole job",
			    opt->first);
	if (opt->world && opt->naccels) {
		int first = opt->first < 0 ? 0 : opt->first;
		if (opt->naccels > opt->world)
			usage_error("-n %d is more than --world %d, the size of the whole job",
				    opt->naccels, opt->world);
		if ((long)first + opt->naccels > opt->world)
			usage_error("--first %d with -n %d makes accelerators %d..%ld, but --world %d "
				    "has ids 0..%d only",
				    first, opt->naccels, first, (long)first + opt->naccels - 1,
				    opt->world, opt->world - 1);
		if (opt->world > opt->naccels && !opt->rendezvous && !opt->job)
			usage_error("--world %d with -n %d: the other accelerators are started by other "
				    "launchers; give them all the same --job NAME (and --rendezvous "
				    "HOST:PORT when they run on other hosts)",
				    opt->world, opt->naccels);
	}
	if (opt->first < 0)
		opt->first = 0;
	if (!opt->world)
		opt->world = opt->naccels;
}

/* ------------------------------------------------------------------ */
/* Placement                                                           */
/* ------------------------------------------------------------------ */

/* Where each accelerator runs: place[i] is the object it is bound to, or NULL. */
struct placement {
	enum bind_mode mode; /* what was asked */
	int bound;           /* whether the accelerators are bound at all */
	char why[160];       /* one line on the choice, for -v and --print-topology */
#if PODFAB_HAVE_HWLOC
	hwloc_topology_t topo;
	hwloc_obj_type_t unit; /* HWLOC_OBJ_CORE, or HWLOC_OBJ_PU where cores are unknown */
	hwloc_obj_t *place;
#endif
};

#if PODFAB_HAVE_HWLOC

static int placement_load(struct placement *pl, int verbose)
{
	if (hwloc_topology_init(&pl->topo) < 0) {
		msg("hwloc_topology_init: %s", strerror(errno));
		return -1;
	}
#if HWLOC_API_VERSION >= 0x00020100
	/*
	 * Under valgrind, hwloc's x86 (CPUID) backend refuses to run and says so
	 * on stderr; the Linux backend finds the same packages, cores and PUs.
	 */
	const char *preload = getenv("LD_PRELOAD");
	if (getenv("PODFAB_UNDER_VALGRIND") || (preload && strstr(preload, "vgpreload")))
		hwloc_topology_set_components(pl->topo, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST,
					      "x86");
#endif
	if (hwloc_topology_load(pl->topo) < 0) {
		msg("hwloc_topology_load: %s", strerror(errno));
		hwloc_topology_destroy(pl->topo);
		pl->topo = NULL;
		return -1;
	}
	/*
	 * Stay inside the CPUs the launcher was given (taskset, a batch system's
	 * binding): the accelerators must not escape them.
	 */
	hwloc_bitmap_t mine = hwloc_bitmap_alloc();
	hwloc_const_bitmap_t all = hwloc_topology_get_topology_cpuset(pl->topo);
	if (mine && hwloc_get_cpubind(pl->topo, mine, HWLOC_CPUBIND_PROCESS) == 0 &&
	    !hwloc_bitmap_iszero(mine) && !hwloc_bitmap_isincluded(all, mine)) {
		char *s = NULL;
		hwloc_bitmap_list_asprintf(&s, mine);
		if (hwloc_topology_restrict(pl->topo, mine, 0) < 0)
			msg("warning: cannot restrict the topology to this launcher's CPUs %s: %s",
			    s ? s : "?", strerror(errno));
		else if (verbose)
			msg("placing within this launcher's CPU binding: PUs %s", s ? s : "?");
		free(s);
	}
	hwloc_bitmap_free(mine);
	pl->unit = hwloc_get_nbobjs_by_type(pl->topo, HWLOC_OBJ_CORE) > 0 ? HWLOC_OBJ_CORE
									  : HWLOC_OBJ_PU;
	return 0;
}

/*
 * Spread n accelerators (n <= units) over the cores with hwloc_distrib, one
 * core each: distrib divides them evenly among packages and NUMA nodes, and
 * each accelerator takes the first core of its share not already taken.
 */
static int place_spread(struct placement *pl, int n)
{
	hwloc_topology_t t = pl->topo;
	int nunits = hwloc_get_nbobjs_by_type(t, pl->unit);
	hwloc_bitmap_t *sets = calloc((size_t)n, sizeof *sets);
	char *taken = calloc((size_t)nunits, 1);
	if (!sets || !taken) {
		free(sets);
		free(taken);
		msg("out of memory");
		return -1;
	}
	hwloc_obj_t root = hwloc_get_root_obj(t);
	int until = hwloc_get_type_depth(t, pl->unit);
	int rc = hwloc_distrib(t, &root, 1, sets, (unsigned)n, until, 0);
	for (int i = 0; i < n; i++) {
		hwloc_obj_t o = NULL;
		if (rc == 0 && sets[i]) {
			while ((o = hwloc_get_next_obj_inside_cpuset_by_type(t, sets[i], pl->unit,
									     o)) != NULL)
				if (!taken[o->logical_index])
					break;
		}
		if (!o) /* distrib gave a share twice (uneven cores): the next free core */
			for (int u = 0; u < nunits && !o; u++)
				if (!taken[u])
					o = hwloc_get_obj_by_type(t, pl->unit, (unsigned)u);
		taken[o->logical_index] = 1;
		pl->place[i] = o;
	}
	for (int i = 0; i < n; i++)
		hwloc_bitmap_free(sets[i]);
	free(sets);
	free(taken);
	return 0;
}

static int placement_choose(struct placement *pl, int n, enum bind_mode mode)
{
	hwloc_topology_t t = pl->topo;
	int nunits = hwloc_get_nbobjs_by_type(t, pl->unit);
	const char *uname = pl->unit == HWLOC_OBJ_CORE ? (nunits == 1 ? "core" : "cores")
						       : (nunits == 1 ? "PU" : "PUs");
	pl->place = calloc((size_t)n, sizeof *pl->place);
	if (!pl->place) {
		msg("out of memory");
		return -1;
	}
	switch (mode) {
	case BIND_NONE:
		snprintf(pl->why, sizeof pl->why, "not bound (--bind none)");
		return 0;
	case BIND_AUTO:
		if (n > nunits) {
			snprintf(pl->why, sizeof pl->why,
				 "not bound: %d accelerators on %d %s is oversubscribed, "
				 "and binding would hurt",
				 n, nunits, uname);
			return 0;
		}
		/* one core each, as with --bind core */
		/* fall through */
	case BIND_CORE:
		pl->bound = 1;
		if (n <= nunits) {
			snprintf(pl->why, sizeof pl->why,
				 "bound one per core, spread over %d %s with hwloc_distrib%s",
				 nunits, uname, mode == BIND_AUTO ? " (default)" : "");
			return place_spread(pl, n);
		}
		snprintf(pl->why, sizeof pl->why,
			 "bound to core (i mod %d): %d accelerators share %d %s (oversubscribed)",
			 nunits, n, nunits, uname);
		for (int i = 0; i < n; i++)
			pl->place[i] = hwloc_get_obj_by_type(t, pl->unit, (unsigned)(i % nunits));
		return 0;
	case BIND_NUMA: {
		int nnuma = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);
		if (nnuma < 1) {
			msg("--bind numa: hwloc finds no NUMA node on this host");
			return -1;
		}
		pl->bound = 1;
		snprintf(pl->why, sizeof pl->why, "bound to NUMA node (i mod %d)", nnuma);
		for (int i = 0; i < n; i++)
			pl->place[i] = hwloc_get_obj_by_type(t, HWLOC_OBJ_NUMANODE,
							     (unsigned)(i % nnuma));
		return 0;
	}
	}
	return 0;
}

/* "0x00000003 (PUs 0-1)" */
static void print_cpuset(FILE *f, hwloc_const_bitmap_t set)
{
	char *hex = NULL, *list = NULL;
	hwloc_bitmap_asprintf(&hex, set);
	hwloc_bitmap_list_asprintf(&list, set);
	fprintf(f, "cpuset %s (PUs %s)", hex ? hex : "?", list ? list : "?");
	free(hex);
	free(list);
}

static void print_objs(hwloc_topology_t t, hwloc_obj_type_t type, const char *title)
{
	int n = hwloc_get_nbobjs_by_type(t, type);
	printf("  %s: %d\n", title, n);
	for (int i = 0; i < n; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(t, type, (unsigned)i);
		printf("    %s L#%u (P#%u): ", hwloc_obj_type_string(type), o->logical_index,
		       o->os_index);
		print_cpuset(stdout, o->cpuset);
#if HWLOC_API_VERSION >= 0x00020000
		if (type == HWLOC_OBJ_NUMANODE)
			printf(", %.1f GiB",
			       (double)o->attr->numanode.local_memory / (1024.0 * 1024 * 1024));
#endif
		putchar('\n');
	}
}

static void print_topology(const struct placement *pl, int n)
{
	hwloc_topology_t t = pl->topo;
	unsigned v = hwloc_get_api_version();
	printf("host topology (hwloc %u.%u.%u; the CPUs this launcher may use):\n  machine: ",
	       v >> 16, (v >> 8) & 0xff, v & 0xff);
	print_cpuset(stdout, hwloc_topology_get_topology_cpuset(t));
	putchar('\n');
	print_objs(t, HWLOC_OBJ_PACKAGE, "packages");
	print_objs(t, HWLOC_OBJ_NUMANODE, "NUMA nodes");
	print_objs(t, HWLOC_OBJ_CORE, "cores");
	char *pus = NULL;
	hwloc_bitmap_list_asprintf(&pus, hwloc_topology_get_topology_cpuset(t));
	printf("  PUs: %d (%s)\n", hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU), pus ? pus : "?");
	free(pus);
	if (n <= 0) {
		printf("placement: give -n N to see where N accelerators would run\n");
		return;
	}
	printf("placement of %d accelerator%s (--bind %s): %s\n", n, n == 1 ? "" : "s",
	       bind_names[pl->mode], pl->why);
	for (int i = 0; i < n; i++) {
		hwloc_obj_t o = pl->place[i];
		if (!o) {
			printf("  accelerator %d: not bound\n", i);
			continue;
		}
		printf("  accelerator %d: %s L#%u, ", i, hwloc_obj_type_string(o->type),
		       o->logical_index);
		print_cpuset(stdout, o->cpuset);
		putchar('\n');
	}
}

#endif /* PODFAB_HAVE_HWLOC */

static int placement_init(struct placement *pl, const struct options *opt)
{
	memset(pl, 0, sizeof *pl);
	pl->mode = opt->bind;
#if PODFAB_HAVE_HWLOC
	if (opt->bind == BIND_NONE && !opt->print_topology) {
		snprintf(pl->why, sizeof pl->why, "not bound (--bind none)");
		return 0;
	}
	if (placement_load(pl, opt->verbose) < 0) {
		if (opt->bind == BIND_AUTO && !opt->print_topology) {
			snprintf(pl->why, sizeof pl->why,
				 "not bound: hwloc cannot read the topology");
			return 0;
		}
		return -1;
	}
	if (opt->naccels > 0 && placement_choose(pl, opt->naccels, opt->bind) < 0)
		return -1;
#else
	snprintf(pl->why, sizeof pl->why, "not bound: built without hwloc");
#endif
	return 0;
}

static void placement_fini(struct placement *pl)
{
#if PODFAB_HAVE_HWLOC
	free(pl->place);
	if (pl->topo)
		hwloc_topology_destroy(pl->topo);
#endif
	memset(pl, 0, sizeof *pl);
}

/* In the child, before exec: bind accelerator i.  A failure is a warning only. */
static void placement_apply(const struct placement *pl, int i)
{
#if PODFAB_HAVE_HWLOC
	if (!pl->bound || !pl->place || !pl->place[i])
		return;
	if (hwloc_set_cpubind(pl->topo, pl->place[i]->cpuset, HWLOC_CPUBIND_PROCESS) < 0)
		msg("warning: accelerator %d: cannot bind to %s L#%u: %s", i,
		    hwloc_obj_type_string(pl->place[i]->type), pl->place[i]->logical_index,
		    strerror(errno));
#else
	(void)pl;
	(void)i;
#endif
}

static void placement_describe(const struct placement *pl, int i, char *buf, size_t len)
{
#if PODFAB_HAVE_HWLOC
	if (pl->bound && pl->place && pl->place[i]) {
		char *list = NULL;
		hwloc_bitmap_list_asprintf(&list, pl->place[i]->cpuset);
		snprintf(buf, len, "%s L#%u (PUs %s)", hwloc_obj_type_string(pl->place[i]->type),
			 pl->place[i]->logical_index, list ? list : "?");
		free(list);
		return;
	}
#else
	(void)pl;
	(void)i;
#endif
	snprintf(buf, len, "not bound");
}

/* ------------------------------------------------------------------ */
/* Shared-memory cleanup                                               */
/* ------------------------------------------------------------------ */

/*
 * Remove (or, with dry_run, only count) the job's shared-memory objects:
 * every SHM_DIR entry named "podfab.<job>.*".  Returns how many, or -1.
 */
static int shm_sweep(const char *job, int dry_run, char *first, size_t first_len)
{
	char prefix[JOB_MAX + 16];
	snprintf(prefix, sizeof prefix, "podfab.%s.", job);
	size_t plen = strlen(prefix);
	DIR *d = opendir(SHM_DIR);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	int count = 0;
	struct dirent *e;
	while ((errno = 0, e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, plen) != 0)
			continue;
		if (first && count == 0)
			snprintf(first, first_len, "%s", e->d_name);
		count++;
		if (dry_run)
			continue;
		char name[NAME_MAX + 2];
		snprintf(name, sizeof name, "/%s", e->d_name);
		if (shm_unlink(name) < 0 && errno != ENOENT)
			msg("warning: cannot remove shared-memory object %s: %s", name,
			    strerror(errno));
	}
	closedir(d);
	return count;
}

/*
 * --report: the job's timing counters, from the region that accelerator 0 left
 * (PODFAB_STATS_KEEP=1), before the sweep removes it.  A functional job has no
 * region: then nothing is said.
 */
static void print_report(const char *job, int top)
{
	char path[JOB_MAX + 32];
	snprintf(path, sizeof path, SHM_DIR "/podfab.%s.timing", job);
	if (access(path, F_OK) != 0)
		return;
	podfab_stat_t st;
	int rc = podfab_stat_open(job, &st);
	if (rc < 0) {
		const char *d = podfab_error_detail();
		msg("warning: --report: %s", d && *d ? d : podfab_strerror(rc));
		return;
	}
	fflush(stdout);
	if (podfab_stat_report(st, stderr, top) < 0)
		msg("warning: --report: %s", podfab_error_detail());
	podfab_stat_close(st);
}

/* ------------------------------------------------------------------ */
/* Running the job                                                     */
/* ------------------------------------------------------------------ */

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void make_job_name(char *buf, size_t len)
{
	uint32_t r = 0;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		r = (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec ^ ((uint32_t)getpid() << 16);
	}
	snprintf(buf, len, "r%ld-%08x", (long)getpid(), (unsigned)r);
}

/* Send sig to every accelerator that has not been reaped (a zombie keeps its pid). */
static void signal_all(struct job *jb, int sig)
{
	for (int i = 0; i < jb->nkids; i++)
		if (jb->kids[i].pid > 0 && kill(jb->kids[i].pid, sig) < 0 && errno != ESRCH)
			msg("warning: kill(%ld, %s): %s", (long)jb->kids[i].pid, signal_name(sig),
			    strerror(errno));
}

/* SIGTERM now, SIGKILL after the grace period (armed once). */
static void stop_all(struct job *jb)
{
	if (jb->kill_at)
		return;
	signal_all(jb, SIGTERM);
	jb->kill_at = now_ns() + STOP_GRACE_NS;
}

/* The child side of fork(): environment, placement, exec.  Never returns. */
static void run_child(const struct job *jb, const struct placement *pl, int id, pid_t launcher)
{
	/* Die with the launcher; if it is already gone, do not start at all. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		msg("warning: accelerator %d: prctl(PR_SET_PDEATHSIG): %s", jb->opt->first + id,
		    strerror(errno));
	if (getppid() != launcher)
		_exit(EXIT_EXEC);
	sigprocmask(SIG_SETMASK, &jb->oldmask, NULL);
	sigaction(SIGPIPE, &jb->oldpipe, NULL);

	char idbuf[16];
	snprintf(idbuf, sizeof idbuf, "%d", jb->opt->first + id);
	if (setenv("PODFAB_ACCEL_ID", idbuf, 1) < 0) {
		msg("accelerator %d: setenv: %s", jb->opt->first + id, strerror(errno));
		_exit(EXIT_EXEC);
	}
	placement_apply(pl, id);
	execvp(jb->opt->program[0], jb->opt->program);
	int e = errno;
	msg("accelerator %d: cannot run '%s': %s", jb->opt->first + id, jb->opt->program[0],
	    strerror(e));
	_exit(EXIT_EXEC);
}

/* Record the end of accelerator i; the first failure decides the exit status. */
static void child_ended(struct job *jb, int i, int status)
{
	struct child *k = &jb->kids[i];
	int gid = jb->opt->first + i; /* the accelerator's id in the job */
	pid_t pid = k->pid;
	k->pid = 0;
	k->status = status;
	jb->nlive--;
	int code = 0;
	if (WIFEXITED(status))
		code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		code = 128 + WTERMSIG(status);
	if (jb->opt->verbose) {
		if (WIFSIGNALED(status))
			msg("accelerator %d (pid %ld) killed by signal %s", gid, (long)pid,
			    signal_name(WTERMSIG(status)));
		else
			msg("accelerator %d (pid %ld) exited with status %d", gid, (long)pid, code);
	}
	if (code == 0 || jb->first_failed >= 0)
		return;
	jb->first_failed = i;
	jb->exit_code = code;
	if (code == EXIT_END_JOB_OK && WIFEXITED(status)) {
		jb->exit_code = 0;
		if (!jb->opt->verbose)
			msg("accelerator %d (pid %ld) ended the job with status 0", gid, (long)pid);
		if (jb->nlive > 0)
			stop_all(jb);
		return;
	}
	if (jb->timed_out)
		return; /* the deadline is the story, not what the stopping did */
	if (!jb->opt->verbose) {
		const char *core = "";
#ifdef WCOREDUMP
		if (WIFSIGNALED(status) && WCOREDUMP(status))
			core = " (core dumped)";
#endif
		if (WIFSIGNALED(status))
			msg("accelerator %d (pid %ld) killed by signal %s%s", gid, (long)pid,
			    signal_name(WTERMSIG(status)), core);
		else
			msg("accelerator %d (pid %ld) exited with status %d", gid, (long)pid, code);
	}
	if (jb->nlive > 0) {
		if (jb->opt->verbose)
			msg("stopping the other %d accelerator%s", jb->nlive,
			    jb->nlive == 1 ? "" : "s");
		stop_all(jb);
	}
}

/* Reap every accelerator that has ended, without blocking. */
static void reap(struct job *jb)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid == 0)
			return;
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD && jb->nlive > 0) {
				msg("error: the accelerators vanished (waitpid: ECHILD)");
				for (int i = 0; i < jb->nkids; i++)
					jb->kids[i].pid = 0;
				jb->nlive = 0;
				if (jb->first_failed < 0) {
					jb->first_failed = 0;
					jb->exit_code = 1;
				}
			}
			return;
		}
		if (!WIFEXITED(status) && !WIFSIGNALED(status))
			continue;
		for (int i = 0; i < jb->nkids; i++) {
			if (jb->kids[i].pid == pid) {
				child_ended(jb, i, status);
				break;
			}
		}
	}
}

static void handle_signal(struct job *jb, const siginfo_t *si)
{
	int sig = si->si_signo;
	/*
	 * A signal the kernel sent to the whole foreground process group (Ctrl-C
	 * from the terminal) has reached the accelerators already: they share the
	 * launcher's process group.  Anything else is forwarded.
	 */
	int from_tty = si->si_code == SI_KERNEL;
	if (jb->opt->verbose)
		msg("got %s%s", signal_name(sig),
		    from_tty ? " from the terminal (the accelerators got it too)"
			     : "; forwarding it to the accelerators");
	if (!from_tty)
		signal_all(jb, sig);
	if ((sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT) && !jb->kill_at)
		jb->kill_at = now_ns() + STOP_GRACE_NS;
}

/* Wait until every accelerator has been reaped, acting on signals and deadlines. */
static void supervise(struct job *jb, int64_t deadline)
{
	while (reap(jb), jb->nlive > 0) {
		int64_t now = now_ns();
		if (deadline && !jb->timed_out && now >= deadline) {
			jb->timed_out = 1;
			msg("job %s timed out after %g s; stopping it", jb->name,
			    jb->opt->timeout_s);
			signal_all(jb, SIGTERM);
			if (!jb->kill_at)
				jb->kill_at = now + STOP_GRACE_NS;
			continue;
		}
		if (jb->kill_at && now >= jb->kill_at) {
			if (jb->opt->verbose)
				msg("%d accelerator%s still running after the grace period: "
				    "SIGKILL",
				    jb->nlive, jb->nlive == 1 ? "" : "s");
			signal_all(jb, SIGKILL);
			jb->kill_at = INT64_MAX; /* armed and done: SIGKILL cannot be refused */
		}
		int64_t wake = INT64_MAX;
		if (deadline && !jb->timed_out)
			wake = deadline;
		if (jb->kill_at && jb->kill_at < wake)
			wake = jb->kill_at;
		siginfo_t si;
		int sig;
		if (wake == INT64_MAX) {
			sig = sigwaitinfo(&jb->waitset, &si);
		} else {
			int64_t left = wake - now;
			struct timespec ts = {.tv_sec = (time_t)(left / 1000000000ll),
					      .tv_nsec = (long)(left % 1000000000ll)};
			sig = sigtimedwait(&jb->waitset, &si, &ts);
		}
		if (sig < 0) {
			if (errno != EINTR && errno != EAGAIN)
				msg("warning: sigtimedwait: %s", strerror(errno));
			continue;
		}
		if (sig != SIGCHLD)
			handle_signal(jb, &si);
	}
}

int main(int argc, char **argv)
{
	struct options opt;
	parse_options(argc, argv, &opt);

	struct placement pl;
	if (placement_init(&pl, &opt) < 0) {
		placement_fini(&pl);
		return 1;
	}
	if (opt.print_topology) {
#if PODFAB_HAVE_HWLOC
		print_topology(&pl, opt.naccels);
#endif
		fflush(stdout);
		if (!opt.program) {
			placement_fini(&pl);
			return 0;
		}
	}

	struct job jb;
	memset(&jb, 0, sizeof jb);
	jb.opt = &opt;
	jb.first_failed = -1;
	if (opt.job)
		snprintf(jb.name, sizeof jb.name, "%s", opt.job);
	else if (opt.rendezvous)
		rendezvous_job_name(opt.rendezvous, jb.name, sizeof jb.name);
	else
		make_job_name(jb.name, sizeof jb.name);

	/*
	 * A job that other launchers share (--world larger than -n) may have
	 * objects here already: theirs, on this host.
	 */
	char stale[NAME_MAX + 1] = "";
	if ((opt.job || opt.rendezvous) && opt.world == opt.naccels &&
	    shm_sweep(jb.name, 1, stale, sizeof stale) > 0) {
		msg("job name '%s' is in use: " SHM_DIR "/%s exists.  If no job of that name "
		    "is running, remove " SHM_DIR "/podfab.%s.* and try again",
		    jb.name, stale, jb.name);
		placement_fini(&pl);
		return 1;
	}

	/* The environment every accelerator shares; PODFAB_ACCEL_ID is set per child. */
	char nbuf[16];
	snprintf(nbuf, sizeof nbuf, "%d", opt.world);
	if (setenv("PODFAB_JOB", jb.name, 1) < 0 || setenv("PODFAB_NACCELS", nbuf, 1) < 0 ||
	    (opt.rendezvous && setenv("PODFAB_RENDEZVOUS", opt.rendezvous, 1) < 0) ||
	    (opt.model && setenv("PODFAB_MODEL", opt.model, 1) < 0) ||
	    (opt.timing && setenv("PODFAB_TIMING", opt.timing, 1) < 0) ||
	    (opt.dilation && setenv("PODFAB_DILATION", opt.dilation, 1) < 0) ||
	    (opt.stats && setenv("PODFAB_STATS", opt.stats, 1) < 0) ||
	    (opt.report_top && setenv("PODFAB_STATS_KEEP", "1", 1) < 0) ||
	    (opt.transport && setenv("PODFAB_TRANSPORT", opt.transport, 1) < 0)) {
		msg("setenv: %s", strerror(errno));
		placement_fini(&pl);
		return 1;
	}

	jb.kids = calloc((size_t)opt.naccels, sizeof *jb.kids);
	if (!jb.kids) {
		msg("out of memory");
		placement_fini(&pl);
		return 1;
	}

	/*
	 * Take SIGCHLD and the forwarded signals synchronously.  SIGCHLD must not
	 * be ignored (children would be reaped behind our back).
	 */
	signal(SIGCHLD, SIG_DFL);
	/* A closed stderr must not kill the launcher before it has cleaned up. */
	struct sigaction ign;
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &jb.oldpipe);
	sigemptyset(&jb.waitset);
	sigaddset(&jb.waitset, SIGCHLD);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(&jb.waitset, forwarded[i]);
	sigprocmask(SIG_BLOCK, &jb.waitset, &jb.oldmask);

	if (opt.verbose) {
		msg("job %s: %d accelerator%s running '%s'", jb.name, opt.naccels,
		    opt.naccels == 1 ? "" : "s", opt.program[0]);
		if (opt.world != opt.naccels || opt.rendezvous)
			msg("accelerators %d..%d of %d%s%s", opt.first, opt.first + opt.naccels - 1,
			    opt.world, opt.rendezvous ? ", rendezvous " : "",
			    opt.rendezvous ? opt.rendezvous : "");
		msg("placement: %s", pl.why);
	}

	int64_t deadline = opt.timeout_s > 0 ? now_ns() + (int64_t)(opt.timeout_s * 1e9) : 0;
	pid_t self = getpid();
	int launch_failed = 0;
	for (int i = 0; i < opt.naccels; i++) {
		fflush(stdout);
		fflush(stderr);
		pid_t pid = fork();
		if (pid < 0) {
			msg("cannot start accelerator %d: fork: %s", opt.first + i, strerror(errno));
			launch_failed = 1;
			break;
		}
		if (pid == 0)
			run_child(&jb, &pl, i, self);
		jb.kids[i].pid = pid;
		jb.nkids++;
		jb.nlive++;
		if (opt.verbose) {
			char where[128];
			placement_describe(&pl, i, where, sizeof where);
			msg("accelerator %d: pid %ld, %s", opt.first + i, (long)pid, where);
		}
	}
	if (launch_failed)
		stop_all(&jb);

	supervise(&jb, deadline);

	if (opt.report_top)
		print_report(jb.name, opt.report_top);

	int removed = shm_sweep(jb.name, 0, NULL, 0);
	if (removed < 0)
		msg("warning: cannot scan " SHM_DIR " to clean up job %s: %s", jb.name,
		    strerror(errno));
	else if (removed > 0 && opt.verbose)
		msg("removed %d leftover shared-memory object%s of job %s", removed,
		    removed == 1 ? "" : "s", jb.name);

	int rc = 0;
	if (jb.timed_out)
		rc = EXIT_TIMEOUT;
	else if (launch_failed)
		rc = 1;
	else if (jb.first_failed >= 0)
		rc = jb.exit_code;
	if (opt.verbose)
		msg("job %s finished with status %d", jb.name, rc);

	/* Signals that came after the last accelerator ended stay blocked: nobody to forward to. */
	free(jb.kids);
	placement_fini(&pl);
	return rc;
}
