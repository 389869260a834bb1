/*
 * rtc: the PL031 real-time clock driver, a user-level server. It maps only
 * its device range and serves the "time" protocol: TIME_GET answers the
 * seconds since 1970 that the clock counts.
 */
#include <cairn/cairn.h>
#include <cairn/server.h>

#define RTC_VA 0x10000000u

int cairn_main(uint32_t arg)
{
	volatile uint32_t *regs = (volatile uint32_t *)RTC_VA;
	struct msg m;
	int err;

	(void)arg;
	if (sys_map(SRV_VSPACE, SRV_DEVICE(0), RTC_VA, R_READ, ATTR_DEFAULT))
		return 1;
	err = sys_recv(SRV_SERVICE, &m);
	for (;;) {
		if (err) {
			err = sys_recv(SRV_SERVICE, &m);
			continue;
		}
		if (MSG_LABEL(m.info) == TIME_GET) {
			m.info = MSG_INFO(0, 1, 0);
			m.mr[0] = regs[0];              /* RTCDR */
		} else if (MSG_LABEL(m.info) == MSG_LABEL_NOTIFY) {
			err = sys_recv(SRV_SERVICE, &m);        /* no interrupts used */
			continue;
		} else {
			m.info = MSG_INFO(1, 1, 0);
			m.mr[0] = (uint32_t)E_NOSYS;
		}
		err = sys_reply_recv(SRV_SERVICE, &m);
	}
}
