/*
 * What a server started from the system description finds in its CSpace
 * (the root task puts it there; dts/system.dts says what each gets).
 */
#ifndef CAIRN_SERVER_H
#define CAIRN_SERVER_H

#define SRV_SERVICE 1           /* receive end of the service it `provides` */
#define SRV_VSPACE 2            /* its own address space (to map its devices) */
#define SRV_THREAD 3            /* its own thread */
#define SRV_ACCOUNT 4           /* its account (quotas of its node) */
#define SRV_NTFN 5              /* its notification, bound to its thread */
#define SRV_ROOT 6              /* send end of the root task's service */
#define SRV_DEVICE(i) (8 + (i))         /* device ranges, in `devices` order */
#define SRV_IRQ(i) (16 + (i))           /* their interrupt handlers (bit i); a PCI host
					 * bridge's interrupt-map lines come after the
					 * slots of all its ranges (windows included) */
#define SRV_USES(i) (24 + (i))          /* services it `uses`, in order */
#define SRV_FIRST_FREE 32
#define SRV_MAX_DEVICES 8
#define SRV_MAX_USES 8

/* Console protocol ("console" service). */
enum console_op {
	CONSOLE_WRITE = 1,      /* MR0 = length; bytes from MR1 on (IPC buffer) */
	CONSOLE_READ = 2,       /* MR0 = most bytes; blocks until >= 1 arrives;
				 * reply MR0 = length, bytes from MR1 on */
};

/* Client side (user/lib/runtime.c): write len bytes through the console
 * service con, in as many requests as it takes; returns the bytes the
 * server took (its MR0 summed), or the error of a failed call. */
int console_write(unsigned int con, const char *s, unsigned int len);
/* From now on the program's output (uprintf, cairn_out) goes through the
 * console service con -- seen on the console also after a driver owns it;
 * false (output unchanged: the kernel log) when con is no endpoint. */
bool console_use(cptr_t con);

/* Time protocol ("time" service). */
enum time_op {
	TIME_GET = 1,           /* reply MR0 = seconds since 1970 (RTC) */
};

/* Block protocol ("blk" service): one 512-byte sector in chunks. */
enum blk_op {
	BLK_READ = 1,           /* MR0 = sector, MR1 = offset: reply text (offset 0 reads the disk) */
	BLK_WRITE = 2,          /* MR0 = sector, MR1 = offset, MR2 = length, data from MR3:
				 * the chunk ending the sector writes it to the disk;
				 * reply MR0 = bytes taken */
	BLK_INFO = 3,           /* reply MR0 = capacity in sectors */
};

/* PCI bus protocol ("pci" service, user/pci). Reply as the root service's
 * rows: MR0 = length, text from MR1 on, E_RANGE past the last row. */
enum pci_op {
	PCI_LIST = 1,           /* MR0 = row: a header, then each function (with the driver
				 * holding it) and its BARs */
	/* A driver's calls, each for the function its system-description
	 * node names (`pci-device`); anything else is E_PERM. */
	PCI_CLAIM = 2,          /* reply MR0 = bus << 8 | dev << 3 | fn, MR1 = vendor << 16 |
				 * device, MR2 = bit i: BAR i implemented and assigned */
	PCI_BAR = 3,            /* MR0 = BAR: reply with one capability (IPC buffer's
				 * recv_slot) for exactly the BAR, MR0 = its size, MR1 =
				 * offset of the BAR in that capability (0), MR2 = 1 if I/O */
	PCI_CFG_READ = 4,       /* MR0 = offset (0..4092, 4-aligned): reply MR0 = the word */
	PCI_IRQ = 5,            /* with one capability, a notification: signalled when the
				 * function's INTx line fires; the line stays masked until
				 * PCI_IRQ_ACK */
	PCI_IRQ_ACK = 6,
	PCI_WATCH = 7,          /* with one capability, a notification: signalled when a
				 * function the caller may claim is added at run time, and
				 * when the one it claimed is removed (its claim then ends:
				 * every call but PCI_CLAIM and PCI_WATCH is E_STATE);
				 * allowed before claiming. docs/writing-a-driver.md */
	PCI_GRANT = 16,         /* from the root task only (badge 0): MR0 = a client's badge,
				 * MR1 = vendor << 16 | device it may claim, MR2..MR7 its
				 * name (24 bytes, NUL padded) */
};

/* Random-number protocol ("rng" service, user/rng). */
enum rng_op {
	RNG_READ = 1,           /* MR0 = bytes wanted (<= 16): reply MR0 = length, bytes from MR1 */
	RNG_PROBE = 2,          /* a test of revocation: read the device's status register
				 * through the mapping the driver last made of it, even
				 * after the bus server said the device is gone (then the
				 * access faults); reply MR0 = the byte read */
};

/* Root service (what the shell asks the root task). Reply: MR0 = length,
 * text from MR1 on (IPC buffer), E_RANGE past the last row. */
enum root_op {
	ROOT_PS = 1,            /* MR0 = row */
	ROOT_DEVICES = 2,       /* MR0 = row */
	ROOT_MEM = 3,           /* MR0 = row */
	ROOT_CAPS = 4,          /* MR0 = row, MR1..MR3 = server name (12 bytes, NUL padded) */
	ROOT_LOG = 5,           /* MR0 = offset in the kernel log; reply: the text from there */
	ROOT_POWEROFF = 6,
	ROOT_TEST = 7,          /* MR1..MR3 = suite name ("" = all the shell may run):
				 * the root task runs it, its KTAP on the console;
				 * reply MR0 = failures */
};

#endif
