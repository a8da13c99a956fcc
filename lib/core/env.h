/*
 * env: numeric settings of the environment (attempts, timeouts, token and
 * poll figures), read one way: a value that is set but is not a whole
 * number in range is a configuration error, never silently the default.
 */
#ifndef CSC_ENV_H
#define CSC_ENV_H

/* env_long(name, min, max, dflt, out): *OUT = NAME's value, read as
 * num_parse reads (digits only), or DFLT when NAME is unset or empty.
 * Returns 0, or -1 after err_set(EX_CONFIG, "NAME must be a whole number
 * from MIN to MAX"). */
int env_long(const char *name, long min, long max, long dflt, long *out);

#endif /* !CSC_ENV_H */
