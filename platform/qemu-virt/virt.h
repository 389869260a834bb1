/*
 * Functions shared between the QEMU virt board files.
 */
#ifndef PLAT_VIRT_H
#define PLAT_VIRT_H

/* PSCI conduit: "hvc", "smc" or NULL (none). */
void plat_psci_set_method(const char *method);
/* Start the generic-timer tick on GIC interrupt `irq`. */
int plat_timer_start(unsigned irq, unsigned hz);

#endif
