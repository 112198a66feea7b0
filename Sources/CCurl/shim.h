#include <curl/curl.h>

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed wrapper per
// argument kind.
static inline CURLcode mapc_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode mapc_curl_set_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode mapc_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode mapc_curl_set_size(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
typedef size_t (*mapc_curl_data_callback)(char *data, size_t size, size_t count, void *context);
static inline CURLcode mapc_curl_set_callback(CURL *handle, CURLoption option, mapc_curl_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}
static inline CURLcode mapc_curl_get_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
// CURL_GLOBAL_ALL is a macro expression Swift does not import.
static inline CURLcode mapc_curl_global_init(void) { return curl_global_init(CURL_GLOBAL_ALL); }
