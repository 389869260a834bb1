/*
 * utest: the worker process of the root task's user-level test suites.
 * It runs in its own address space with its own CSpace and does what the
 * commands of <cairn/utest_proto.h> say, so the suites can check what
 * another process sees: mappings that vanish, capabilities that are gone,
 * IPC that is cancelled, faults.
 */
#include <cairn/cairn.h>
#include <cairn/utest_proto.h>

int cairn_main(uint32_t arg)
{
	(void)arg;
	for (;;) {
		struct msg m = { 0, { 0 }, 0 }, r;
		struct cap_info ci;
		int err = sys_recv(WK_CMD, &m);

		r.info = MSG_INFO(MSG_LABEL(m.info), 4, 0);
		r.mr[0] = r.mr[1] = r.mr[2] = r.mr[3] = 0;
		if (err) {
			r.info = MSG_INFO(0, 4, 0);
			r.mr[0] = (uint32_t)err;
			sys_send(WK_REPORT, &r);
			continue;
		}
		switch (MSG_LABEL(m.info)) {
		case WK_PING:
			r.mr[0] = m.mr[0] + 1;
			break;
		case WK_READ:
			r.mr[0] = *(volatile uint32_t *)(uintptr_t)m.mr[0];
			break;
		case WK_WRITE:
			*(volatile uint32_t *)(uintptr_t)m.mr[0] = m.mr[1];
			break;
		case WK_INSPECT:
			err = sys_cap_inspect(m.mr[0], &ci);
			r.mr[0] = (uint32_t)err;
			r.mr[1] = ci.type;
			r.mr[2] = ci.rights;
			break;
		case WK_RECV: {
			struct msg x = { 0, { 0 }, 0 };

			r.mr[0] = (uint32_t)sys_recv(m.mr[0], &x);
			break;
		}
		case WK_CALL: {
			struct msg x = { MSG_INFO(1, 0, 0), { 0 }, 0 };

			r.mr[0] = (uint32_t)sys_call(m.mr[0], &x);
			break;
		}
		case WK_UNDEF:
			__asm__ volatile(".word 0xe7f000f0");   /* permanently undefined */
			break;
		case WK_BADSYS: {
			struct sysregs s = { { 0 } };

			r.mr[0] = (uint32_t)cairn_syscall(m.mr[0], &s);
			break;
		}
		case WK_JUMP:
			((void (*)(void))(uintptr_t)m.mr[0])();
			break;
		case WK_SERVE: {
			struct msg x = { 0, { 0 }, 0 };
			cptr_t ep = m.mr[0];

			sys_recv(ep, &x);
			for (;;) {
				x.mr[0]++;
				sys_reply_recv(ep, &x);
			}
		}
		case WK_WAIT:
			for (;;)
				sys_wait(m.mr[0], NULL);
		case WK_STAMP: {
			volatile struct ipc_buffer *b = (struct ipc_buffer *)WK_IPCBUF;
			struct msg x = { 0, { 0 }, 0 };
			cptr_t ep = m.mr[0], slot = m.mr[1];

			b->recv_cspace = CPTR_SELF;
			b->recv_slot = slot;
			sys_recv(ep, &x);
			for (;;) {
				uint32_t t1 = cairn_cycles();

				if (MSG_CAPS(x.info))
					sys_cap_delete(CPTR_SELF, slot);
				x.info = MSG_INFO(0, MSG_LEN(x.info), 0);
				x.mr[0] = t1;
				x.mr[1] = cairn_cycles();
				sys_reply_recv(ep, &x);
			}
		}
		case WK_YIELD:
			for (;;)
				sys_yield();
		case WK_RECV_CAPS: {
			volatile struct ipc_buffer *b = (struct ipc_buffer *)WK_IPCBUF;
			struct msg x = { 0, { 0 }, 0 };

			b->recv_cspace = CPTR_SELF;
			b->recv_slot = m.mr[1];
			r.mr[0] = (uint32_t)sys_recv(m.mr[0], &x);
			r.mr[1] = MSG_CAPS(x.info);
			r.mr[2] = b->recv_caps;
			r.mr[3] = x.badge;
			b->recv_slot = 0;
			break;
		}
		case WK_MAP:
			r.mr[0] = (uint32_t)sys_map(WK_VSPACE, m.mr[0], m.mr[1], m.mr[2],
						    ATTR_DEFAULT);
			break;
		}
		sys_send(WK_REPORT, &r);
	}
}
