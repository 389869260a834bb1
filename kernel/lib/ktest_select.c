/*
 * Test selection ("all" or a comma-separated list of suite names), shared
 * by the kernel's ktest and the user-level test runner (compiled into the
 * user runtime too), so both read ktest= the same way.
 */
#include <lib/ktest.h>
#include <lib/string.h>

bool ktest_selected(const char *sel, const char *name)
{
	size_t n = strlen(name);

	if (strcmp(sel, "all") == 0)
		return true;
	while (*sel) {
		const char *end = strchr(sel, ',');
		size_t len = end ? (size_t)(end - sel) : strlen(sel);

		if (len == n && strncmp(sel, name, n) == 0)
			return true;
		if (!end)
			break;
		sel = end + 1;
	}
	return false;
}
