/*
 * uart: the PL011 console driver, a user-level server.
 *
 * It maps only the device range the system description gives it (its
 * SRV_DEVICE(0)), takes receive interrupts through its bound notification
 * (bit 0), keeps received bytes in a ring, and serves the "console"
 * protocol (cairn/server.h): WRITE sends bytes (transmit is polled: the
 * FIFO drains at line speed), READ returns what has arrived or, when
 * nothing has, holds the caller's reply right until input comes.
 */
#include <cairn/cairn.h>
#include <cairn/server.h>

#define UART_VA 0x10000000u
#define DR 0x00
#define FR 0x18
#define IMSC 0x38
#define ICR 0x44
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define INT_RX (1u << 4)
#define INT_RT (1u << 6)
#define READER_SLOT (SRV_FIRST_FREE)

static volatile uint32_t *regs;
static char ring[1024];
static unsigned head, tail;             /* bytes in [tail, head) */
static bool reader;                     /* a READ waits (its reply in READER_SLOT) */
static unsigned reader_max;

static void putc_hw(char c)
{
	while (regs[FR / 4] & FR_TXFF)
		;
	regs[DR / 4] = (uint8_t)c;
}

static void drain_rx(void)
{
	while (!(regs[FR / 4] & FR_RXFE)) {
		char c = (char)regs[DR / 4];

		if (head - tail < sizeof(ring))
			ring[head++ % sizeof(ring)] = c;
	}
	regs[ICR / 4] = INT_RX | INT_RT;
}

/* A reply with up to max received bytes. */
static void take(struct msg *r, unsigned max)
{
	char buf[MSG_TEXT_MAX];
	unsigned n = 0;

	if (max > sizeof(buf))
		max = sizeof(buf);
	while (n < max && tail != head)
		buf[n++] = ring[tail++ % sizeof(ring)];
	msg_put_text(r, 0, buf, n);
}

int cairn_main(uint32_t arg)
{
	struct cap_info dev;
	struct msg m;
	int err;

	(void)arg;
	if (sys_cap_inspect(SRV_DEVICE(0), &dev) ||
	    sys_map(SRV_VSPACE, SRV_DEVICE(0), UART_VA, R_READ | R_WRITE, ATTR_DEFAULT))
		return 1;
	regs = (volatile uint32_t *)UART_VA;
	drain_rx();
	regs[IMSC / 4] = INT_RX | INT_RT;
	err = sys_recv(SRV_SERVICE, &m);
	for (;;) {
		struct msg r = { MSG_INFO(0, 1, 0), { 0 }, 0 };
		bool answer = true;

		if (err) {
			err = sys_recv(SRV_SERVICE, &m);
			continue;
		}
		switch (MSG_LABEL(m.info)) {
		case MSG_LABEL_NOTIFY:          /* receive interrupt */
			drain_rx();
			sys_irq_ack(SRV_IRQ(0));
			answer = false;
			if (reader && tail != head) {
				take(&r, reader_max);
				sys_send(READER_SLOT, &r);      /* through the saved reply */
				reader = false;
			}
			break;
		case CONSOLE_WRITE: {
			char buf[MSG_TEXT_MAX + 1];
			size_t n = msg_get_text(&m, buf, sizeof(buf));

			for (size_t i = 0; i < n; i++) {
				if (buf[i] == '\n')
					putc_hw('\r');
				putc_hw(buf[i]);
			}
			r.mr[0] = (uint32_t)n;
			break;
		}
		case CONSOLE_READ:
			drain_rx();
			if (tail != head) {
				take(&r, m.mr[0] ? m.mr[0] : 1);
			} else if (!reader && sys_cap_save_reply(READER_SLOT) == 0) {
				reader = true;
				reader_max = m.mr[0] ? m.mr[0] : 1;
				answer = false;
			} else {
				r.info = MSG_INFO(1, 1, 0);
				r.mr[0] = (uint32_t)E_BUSY;     /* one reader at a time */
			}
			break;
		default:
			r.info = MSG_INFO(1, 1, 0);
			r.mr[0] = (uint32_t)E_NOSYS;
			break;
		}
		if (answer)
			err = sys_reply_recv(SRV_SERVICE, &r);
		else
			err = sys_recv(SRV_SERVICE, &m);
		if (answer && !err)
			m = r;
	}
}
