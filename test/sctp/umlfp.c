/*
 * umlfp.so — LD_PRELOAD shim that lets Debian's user-mode Linux 6.1 run on
 * hosts whose XSAVE area is larger than UML expects (AVX-512, AMX).
 *
 * UML 6.1 saves and restores a guest thread's FP/vector state with
 * PTRACE_GETREGSET/PTRACE_SETREGSET(NT_X86_XSTATE) using a fixed buffer of
 * sizeof(struct _xstate) (832 bytes: x87, SSE, AVX). Host kernels since 5.14
 * accept PTRACE_SETREGSET for the xstate only with the full XSAVE size of the
 * host (2.7 KiB with AVX-512, 11 KiB with AMX) and return EFAULT otherwise,
 * so the very first guest process dies ("ptrace set fp regs failed, errno =
 * 14", then "Attempted to kill init"). Later upstream UML sizes the buffer
 * from the host; bookworm's package does not.
 *
 * The shim widens those two requests: it keeps a full-size copy of each
 * state buffer UML uses (keyed by the buffer's address, which is per guest
 * thread), hands UML the prefix it asked for, and on restore overlays UML's
 * prefix on that full copy — so the AVX-512 upper state of a guest thread
 * is preserved across switches too. Any other ptrace request is passed
 * through unchanged.
 *
 * Build: gcc -O2 -shared -fPIC -o umlfp.so umlfp.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

#define SLOTS 512
#define SLOT_SIZE 16384

typedef long (*ptrace_fn)(int, pid_t, void *, void *);

struct slot {
	void *key;
	size_t len;
	unsigned char buf[SLOT_SIZE] __attribute__((aligned(64)));
};

/* UML runs its kernel on one host thread at a time: no locking needed. */
static struct slot slots[SLOTS];
static unsigned next_victim;
static unsigned char scratch[SLOT_SIZE] __attribute__((aligned(64)));

static struct slot *find(void *key, int create)
{
	unsigned h = (unsigned)(((uintptr_t)key >> 6) % SLOTS);
	for (unsigned i = 0; i < 8; i++) {
		struct slot *s = &slots[(h + i) % SLOTS];
		if (s->key == key)
			return s;
	}
	if (!create)
		return NULL;
	for (unsigned i = 0; i < 8; i++) {
		struct slot *s = &slots[(h + i) % SLOTS];
		if (s->key == NULL) {
			s->key = key;
			return s;
		}
	}
	struct slot *s = &slots[(h + (next_victim++ % 8)) % SLOTS];
	s->key = key;
	return s;
}

long ptrace(enum __ptrace_request req, ...)
{
	static ptrace_fn real;
	va_list ap;
	va_start(ap, req);
	pid_t pid = va_arg(ap, pid_t);
	void *addr = va_arg(ap, void *);
	void *data = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
	if ((req != PTRACE_GETREGSET && req != PTRACE_SETREGSET) || (long)addr != NT_X86_XSTATE || !data)
		return real(req, pid, addr, data);

	struct iovec *iov = data;
	if (req == PTRACE_GETREGSET) {
		struct slot *s = find(iov->iov_base, 1);
		struct iovec f = { s->buf, SLOT_SIZE };
		long r = real(PTRACE_GETREGSET, pid, addr, &f);
		if (r < 0) {
			s->key = NULL;
			return r;
		}
		s->len = f.iov_len;
		size_t n = iov->iov_len < f.iov_len ? iov->iov_len : f.iov_len;
		memcpy(iov->iov_base, s->buf, n);
		iov->iov_len = n;
		return 0;
	}

	struct slot *s = find(iov->iov_base, 0);
	unsigned char *full;
	size_t len;
	if (s) {
		full = s->buf;
		len = s->len;
	} else {
		/* Unknown buffer (e.g. a new thread's copied state): start from
		 * the stopped thread's current state. */
		struct iovec f = { scratch, SLOT_SIZE };
		long r = real(PTRACE_GETREGSET, pid, addr, &f);
		if (r < 0)
			return r;
		full = scratch;
		len = f.iov_len;
	}
	size_t n = iov->iov_len < len ? iov->iov_len : len;
	memcpy(full, iov->iov_base, n);
	struct iovec f = { full, len };
	return real(PTRACE_SETREGSET, pid, addr, &f);
}
