/*
 * Architecture self-tests (ktest suites `exceptions` and `mmu`).
 *
 * Each fault test arms a fault catcher (arch/arm/trap.c), provokes the
 * fault, and checks what the trap path recorded and decoded: the exception
 * kind, the fault status (type and level, read or write), the fault
 * address and the faulting PC; and interrupt masking restores exactly
 * the state saved. The MMU tests check the properties the
 * boot code promises: a working direct map, W^X on the kernel image, no
 * identity map left, device mappings for MMIO; and the port's bulk zeroing
 * and copying (bulk.S) at every alignment.
 */
#include <arch/cpu.h>
#include <arch/memlayout.h>
#include <arch/trap.h>
#include <boot/boot.h>
#include <hal/arch.h>
#include <hal/mm_arch.h>
#include <lib/ktest.h>
#include <lib/string.h>

extern char __text_start[], __rodata_start[], __data_start[];
extern char selftest_udf_insn[];

#define UNMAPPED_VA (DEVWIN_BASE + DEVWIN_SIZE - PAGE_SIZE)

static volatile uint32_t sink_word;
static uint32_t data_code[4] __attribute__((aligned(16)));

/* An undefined instruction at a known address (ARM encoding of UDF #0). */
static void do_udf(void)
{
	__asm__ volatile(".global selftest_udf_insn\n"
			 "selftest_udf_insn: .word 0xe7f000f0\n" ::: "memory");
}

static void test_undef_caught(struct ktest *t)
{
	struct fault_catch fc;

	arch_fault_catch_arm(&fc);
	do_udf();
	arch_fault_catch_disarm();
	KT_ASSERT(t, fc.caught);
	KT_EQ(t, fc.kind, TRAP_UNDEF);
	KT_EQ(t, fc.pc, (uintptr_t)selftest_udf_insn);
	KT_ASSERT_MSG(t, strstr(fc.what, "undefined instruction") != NULL, "what: %s", fc.what);
}

static void test_data_abort_read(struct ktest *t)
{
	struct fault_catch fc;

	arch_fault_catch_arm(&fc);
	sink_word = *(volatile uint32_t *)(uintptr_t)(UNMAPPED_VA + 0x24);
	arch_fault_catch_disarm();
	KT_ASSERT(t, fc.caught);
	KT_EQ(t, fc.kind, TRAP_DABT);
	KT_EQ(t, fc.far, UNMAPPED_VA + 0x24);
	KT_EQ(t, fc.fsr & 0x3f, 0x07); /* translation fault, level 3 */
	KT_ASSERT(t, (fc.fsr & (1u << 11)) == 0); /* read */
	KT_ASSERT(t, (fc.fsr & (1u << 9)) != 0);  /* long-descriptor format */
	KT_ASSERT_MSG(t, strstr(fc.what, "translation fault, level 3, read") != NULL,
		      "what: %s", fc.what);
}

static void test_data_abort_write_text(struct ktest *t)
{
	struct fault_catch fc;
	volatile uint32_t *text = (volatile uint32_t *)(uintptr_t)(__text_start + 0x100);
	uint32_t before = *text;

	arch_fault_catch_arm(&fc);
	*text = 0xdeadbeef;
	arch_fault_catch_disarm();
	KT_ASSERT(t, fc.caught);
	KT_EQ(t, fc.kind, TRAP_DABT);
	KT_EQ(t, fc.far, (uintptr_t)text);
	KT_EQ(t, (fc.fsr & 0x3c), 0x0c); /* permission fault */
	KT_ASSERT(t, (fc.fsr & (1u << 11)) != 0); /* write */
	KT_EQ(t, *text, before);
	KT_ASSERT_MSG(t, strstr(fc.what, "permission fault") != NULL, "what: %s", fc.what);
}

static void test_prefetch_abort_unmapped(struct ktest *t)
{
	struct fault_catch fc;
	void (*fn)(void) = (void (*)(void))(uintptr_t)(UNMAPPED_VA + 0x40);

	arch_fault_catch_arm(&fc);
	fn();
	arch_fault_catch_disarm();
	KT_ASSERT(t, fc.caught);
	KT_EQ(t, fc.kind, TRAP_PABT);
	KT_EQ(t, fc.far, UNMAPPED_VA + 0x40);
	KT_EQ(t, fc.fsr & 0x3f, 0x07);
	KT_ASSERT_MSG(t, strstr(fc.what, "prefetch abort: translation fault") != NULL,
		      "what: %s", fc.what);
}

static void test_data_not_executable(struct ktest *t)
{
	struct fault_catch fc;
	void (*fn)(void) = (void (*)(void))(uintptr_t)data_code;

	data_code[0] = 0xe12fff1e; /* bx lr: would return at once if executed */
	arch_fault_catch_arm(&fc);
	fn();
	arch_fault_catch_disarm();
	KT_ASSERT_MSG(t, fc.caught, "writable data executed: W^X broken");
	KT_EQ(t, fc.kind, TRAP_PABT);
	KT_EQ(t, fc.far, (uintptr_t)data_code);
	KT_EQ(t, (fc.fsr & 0x3c), 0x0c); /* permission fault */
}

static void test_fsr_decoding(struct ktest *t)
{
	char buf[96];

	KT_ASSERT(t, strcmp(arch_fsr_describe(0x205, buf, sizeof(buf)),
			    "translation fault, level 1, read (status 0x05)") == 0);
	KT_ASSERT(t, strcmp(arch_fsr_describe(0xa0f, buf, sizeof(buf)),
			    "permission fault, level 3, write (status 0x0f)") == 0);
	KT_ASSERT(t, strcmp(arch_fsr_describe(0x221, buf, sizeof(buf)),
			    "alignment fault, read (status 0x21)") == 0);
	KT_ASSERT(t, strcmp(arch_fsr_describe(0x20a, buf, sizeof(buf)),
			    "access flag fault, level 2, read (status 0x0a)") == 0);
	KT_ASSERT(t, strstr(arch_fsr_describe(0x23f, buf, sizeof(buf)), "unknown") != NULL);
}

static void test_symbolize(struct ktest *t)
{
	char buf[80];

	KT_ASSERT(t, arch_symbolize((uintptr_t)test_symbolize + 8, buf, sizeof(buf)));
	KT_ASSERT_MSG(t, strcmp(buf, "test_symbolize+0x8") == 0, "got %s", buf);
	KT_ASSERT(t, !arch_symbolize(0x1000, buf, sizeof(buf)));
}

/* arch_irq_restore puts back exactly what arch_irq_save found, masking
 * again when it was masked whatever ran between: the idle loop enables
 * interrupts to take them, then returns to user mode through a path on
 * which an interrupt would push its frame below the thread's context. */
static void test_irq_restore_exact(struct ktest *t)
{
	uint32_t before = read_cpsr() & CPSR_I;
	uint32_t state;
	bool masked_again, enabled_again;

	irq_disable();
	state = arch_irq_save();
	irq_enable();
	arch_irq_restore(state);
	masked_again = (read_cpsr() & CPSR_I) != 0;
	irq_enable();
	state = arch_irq_save();
	arch_irq_restore(state);
	enabled_again = (read_cpsr() & CPSR_I) == 0;
	if (before)
		irq_disable();
	KT_ASSERT_MSG(t, state == 0, "saved with interrupts enabled: %#lx", (unsigned long)state);
	KT_ASSERT(t, masked_again);
	KT_ASSERT(t, enabled_again);
}

static const struct ktest_case exception_cases[] = {
	KT_CASE(test_undef_caught),
	KT_CASE(test_data_abort_read),
	KT_CASE(test_data_abort_write_text),
	KT_CASE(test_prefetch_abort_unmapped),
	KT_CASE(test_data_not_executable),
	KT_CASE(test_fsr_decoding),
	KT_CASE(test_symbolize),
	KT_CASE(test_irq_restore_exact),
};
KTEST_SUITE(exceptions_suite, "exceptions", exception_cases);

/* ---- mmu ---- */

static void test_direct_map_alias(struct ktest *t)
{
	const struct boot_params *bp = boot_params();
	static volatile uint32_t probe;
	paddr_t pa = bp->kimage_phys + ((uintptr_t)&probe - KIMAGE_BASE);
	volatile uint32_t *alias = arch_phys_to_virt(pa, 4);

	KT_ASSERT(t, alias != NULL);
	KT_ASSERT(t, (uintptr_t)alias >= DIRECT_MAP_BASE &&
			     (uintptr_t)alias < DIRECT_MAP_BASE + DIRECT_MAP_SIZE);
	probe = 0x12345678;
	KT_EQ(t, *alias, 0x12345678);
	*alias = 0x9abcdef0;
	KT_EQ(t, probe, 0x9abcdef0);
}

static void test_identity_map_gone(struct ktest *t)
{
	struct fault_catch fc;
	const struct boot_params *bp = boot_params();

	arch_fault_catch_arm(&fc);
	sink_word = *(volatile uint32_t *)(uintptr_t)bp->kimage_phys;
	arch_fault_catch_disarm();
	KT_ASSERT_MSG(t, fc.caught, "physical address still mapped at its own VA");
	KT_EQ(t, fc.kind, TRAP_DABT);
	KT_EQ(t, fc.far, (uint32_t)bp->kimage_phys);
	KT_EQ(t, (fc.fsr & 0x3c), 0x04); /* translation fault */
	KT_ASSERT(t, arch_early_phys(bp->kimage_phys, 4) == NULL);
}

static void test_rodata_read_only(struct ktest *t)
{
	struct fault_catch fc;
	static const uint32_t constant = 0x600dc0de;
	volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)&constant;

	arch_fault_catch_arm(&fc);
	*p = 0;
	arch_fault_catch_disarm();
	KT_ASSERT(t, fc.caught);
	KT_EQ(t, (fc.fsr & 0x3c), 0x0c);
	KT_EQ(t, *p, 0x600dc0de);
}

static void test_high_ram_not_direct_mapped(struct ktest *t)
{
	/* Above the direct-map window nothing is mapped. */
	KT_ASSERT(t, arch_phys_to_virt(0x100000000ull, 4) == NULL);
	KT_ASSERT(t, arch_phys_to_virt(0, 4) == NULL);
}

static void test_ioremap_uart_id(struct ktest *t)
{
	volatile uint32_t *id = arch_ioremap(0x09000000 + 0xfe0, 16);

	KT_ASSERT(t, id != NULL);
	KT_ASSERT(t, (uintptr_t)id >= DEVWIN_BASE && (uintptr_t)id < DEVWIN_BASE + DEVWIN_SIZE);
	/* PL011 UARTPeriphID0..2: 0x11, 0x10, 0x?4 */
	KT_EQ(t, id[0] & 0xff, 0x11);
	KT_EQ(t, id[1] & 0xff, 0x10);
	KT_EQ(t, id[2] & 0x0f, 0x04);
	KT_ASSERT(t, arch_ioremap(0, 0) == NULL);
	KT_ASSERT(t, arch_ioremap(0xfffffffffffull, 0x2000) == NULL);
}

static void test_caches_and_mmu_on(struct ktest *t)
{
	uint32_t sctlr = read_sctlr();

	KT_ASSERT(t, sctlr & SCTLR_M);
	KT_ASSERT(t, sctlr & SCTLR_C);
	KT_ASSERT(t, sctlr & SCTLR_I);
	KT_ASSERT(t, sctlr & SCTLR_Z);
	KT_ASSERT(t, sctlr & SCTLR_WXN);
	KT_ASSERT(t, read_ttbcr() & (1u << 31)); /* LPAE */
	KT_EQ(t, read_vbar() & 0xf0000000, KIMAGE_BASE);
}

static uint8_t bulk_src[160], bulk_dst[192];
static uint8_t bulk_pages[3 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* mm_arch_copy: every alignment of both ends and every length up to 140
 * (the 32-byte loop, the word and byte tails, the unaligned loop) copies
 * exactly its bytes; nothing beside them is written. */
static void test_bulk_copy(struct ktest *t)
{
	for (unsigned i = 0; i < sizeof(bulk_src); i++)
		bulk_src[i] = (uint8_t)(i * 7 + 1);
	for (unsigned so = 0; so < 8; so++)
		for (unsigned d = 0; d < 8; d++)
			for (unsigned n = 0; n <= 140; n++) {
				memset(bulk_dst, 0xee, sizeof(bulk_dst));
				mm_arch_copy(bulk_dst + 8 + d, bulk_src + so, n);
				for (unsigned i = 0; i < sizeof(bulk_dst); i++) {
					uint8_t want = i >= 8 + d && i < 8 + d + n ?
						       bulk_src[so + i - 8 - d] : 0xee;

					KT_ASSERT_MSG(t, bulk_dst[i] == want,
						      "src+%u dst+%u len %u: byte %u", so, d, n, i);
				}
			}
}

/* mm_arch_zero_pages zeroes exactly its pages (and nothing for 0 bytes). */
static void test_bulk_zero(struct ktest *t)
{
	memset(bulk_pages, 0xa5, sizeof(bulk_pages));
	mm_arch_zero_pages(bulk_pages + PAGE_SIZE, 0);
	mm_arch_zero_pages(bulk_pages + PAGE_SIZE, PAGE_SIZE);
	for (unsigned i = 0; i < sizeof(bulk_pages); i++)
		KT_ASSERT_MSG(t, bulk_pages[i] == (i / PAGE_SIZE == 1 ? 0 : 0xa5), "byte %u", i);
}

static const struct ktest_case mmu_cases[] = {
	KT_CASE(test_bulk_copy),
	KT_CASE(test_bulk_zero),
	KT_CASE(test_caches_and_mmu_on),
	KT_CASE(test_direct_map_alias),
	KT_CASE(test_identity_map_gone),
	KT_CASE(test_rodata_read_only),
	KT_CASE(test_high_ram_not_direct_mapped),
	KT_CASE(test_ioremap_uart_id),
};
KTEST_SUITE(mmu_suite, "mmu", mmu_cases);

/* ---- benchmarks ---- */

#define BENCH_ITERS 1000

static uint64_t bench_null_exception(void)
{
	uint32_t t0, t1, base0, base1;

	/* Loop overhead first, with the same shape but no svc. */
	base0 = (uint32_t)arch_cycles();
	for (int i = 0; i < BENCH_ITERS; i++)
		__asm__ volatile("nop" ::: "memory");
	base1 = (uint32_t)arch_cycles();
	t0 = (uint32_t)arch_cycles();
	for (int i = 0; i < BENCH_ITERS; i++)
		__asm__ volatile("svc #0" ::: "memory", "lr");
	t1 = (uint32_t)arch_cycles();
	return ((t1 - t0) - (base1 - base0)) / BENCH_ITERS;
}
BENCH_ITEM(bench_null_exc, "null_exception_round_trip", "insns",
	   "kernel-mode svc #0: vector, full trap frame save, dispatch, restore, rfe",
	   bench_null_exception);
