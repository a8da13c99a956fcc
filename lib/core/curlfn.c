#include <dlfcn.h>
#include <stddef.h>

#include "curlfn.h"
#include "err.h"

static struct curlfn s_fn;
static int s_loaded;

/* One symbol of libcurl into *SLOT; 0, or -1 if it is missing. */
static int
bind_symbol(void *lib, const char *name, void *slot)
{
	void *sym = dlsym(lib, name);

	if (sym == NULL) {
		err_debug("libcurl: no symbol %s", name);
		return (-1);
	}
	/* POSIX guarantees object and function pointers convert. */
	*(void **)slot = sym;
	return (0);
}

const struct curlfn *
curlfn_load(void)
{
	void *lib;

	if (s_loaded)
		return (&s_fn);
	if ((lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL)) == NULL) {
		err_debug("cannot load libcurl: %s", dlerror());
		return (NULL);
	}
	if (bind_symbol(lib, "curl_global_init", &s_fn.global_init) ||
	    bind_symbol(lib, "curl_global_cleanup", &s_fn.global_cleanup) ||
	    bind_symbol(lib, "curl_easy_init", &s_fn.easy_init) ||
	    bind_symbol(lib, "curl_easy_reset", &s_fn.easy_reset) ||
	    bind_symbol(lib, "curl_easy_setopt", &s_fn.easy_setopt) ||
	    bind_symbol(lib, "curl_easy_perform", &s_fn.easy_perform) ||
	    bind_symbol(lib, "curl_easy_getinfo", &s_fn.easy_getinfo) ||
	    bind_symbol(lib, "curl_easy_strerror", &s_fn.easy_strerror) ||
	    bind_symbol(lib, "curl_easy_cleanup", &s_fn.easy_cleanup) ||
	    bind_symbol(lib, "curl_slist_append", &s_fn.slist_append) ||
	    bind_symbol(lib, "curl_slist_free_all", &s_fn.slist_free_all) ||
	    bind_symbol(lib, "curl_multi_init", &s_fn.multi_init) ||
	    bind_symbol(lib, "curl_multi_add_handle", &s_fn.multi_add_handle) ||
	    bind_symbol(lib, "curl_multi_remove_handle",
	        &s_fn.multi_remove_handle) ||
	    bind_symbol(lib, "curl_multi_perform", &s_fn.multi_perform) ||
	    bind_symbol(lib, "curl_multi_info_read", &s_fn.multi_info_read) ||
	    bind_symbol(lib, "curl_multi_poll", &s_fn.multi_poll) ||
	    bind_symbol(lib, "curl_multi_cleanup", &s_fn.multi_cleanup)) {
		dlclose(lib);
		return (NULL);
	}
	/* libcurl stays loaded until exit: its handles outlive any caller. */
	s_loaded = 1;
	return (&s_fn);
}
