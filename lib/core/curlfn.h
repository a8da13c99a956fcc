/*
 * curlfn: libcurl, loaded on first use with dlopen.
 *
 * Linking libcurl makes every process pay for its dependencies' start-up
 * (GnuTLS, Kerberos, LDAP, ...): about 5 ms here, most of a csc-presign
 * run.  Loaded on demand, only a process that really talks to the network
 * pays it, and only when it does.  Only http.c uses this.
 */
#ifndef CSC_CURLFN_H
#define CSC_CURLFN_H

#include <curl/curl.h>

struct curlfn {
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_reset)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	void (*easy_cleanup)(CURL *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_perform)(CURLM *, int *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned int,
	    int, int *);
	CURLMcode (*multi_cleanup)(CURLM *);
};

/* curlfn_load(): the libcurl functions, loading libcurl.so.4 the first
 * time.  Returns NULL (and says why at debug level) if it cannot be
 * loaded or lacks a function. */
const struct curlfn *curlfn_load(void);

#endif /* !CSC_CURLFN_H */
