/*
 * libsystemd.so.0 stand-in for crun in the guest. crun links libsystemd only for its
 * systemd cgroup manager (sd_bus_*), sd_notify and the journald log driver; the guest has
 * no systemd, crun runs with the cgroupfs manager, and loading the real library drags in
 * libgcrypt, libgpg-error, liblz4, liblzma and libzstd (3.5 MB mapped and relocated on
 * every container start). Every entry point fails cleanly: -ENOSYS, or NULL.
 * Exports exactly the versioned symbols crun 1.8 imports (see sdstub.map).
 */
#include <errno.h>
#include <stddef.h>

#define FAIL_INT(name) int name(void) { return -ENOSYS; }
#define FAIL_PTR(name) void *name(void) { return NULL; }

/* sd_notify: no NOTIFY_SOCKET in the guest; 0 means "not notified" per sd_notify(3) */
int sd_notify(int unset_environment, const char *state) { (void)unset_environment; (void)state; return 0; }
int sd_notify_barrier(int unset_environment, unsigned long long timeout) { (void)unset_environment; (void)timeout; return 0; }
FAIL_INT(sd_journal_send_with_location)
FAIL_INT(sd_bus_default_system)
FAIL_INT(sd_bus_default_user)
FAIL_INT(sd_bus_call)
FAIL_INT(sd_bus_match_signal_async)
FAIL_INT(sd_bus_message_new_method_call)
FAIL_INT(sd_bus_message_open_container)
FAIL_INT(sd_bus_message_close_container)
FAIL_INT(sd_bus_message_append)
FAIL_INT(sd_bus_message_append_strv)
FAIL_INT(sd_bus_message_read)
FAIL_INT(sd_bus_process)
FAIL_INT(sd_bus_wait)
FAIL_PTR(sd_bus_message_unref)
FAIL_PTR(sd_bus_unref)
void sd_bus_error_free(void *e) { (void)e; }
int sd_bus_error_get_errno(const void *e) { (void)e; return ENOSYS; }
