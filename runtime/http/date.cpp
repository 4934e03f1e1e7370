// IMF-fixdate formatting (the Date field, Last-Modified) and parsing (for If-Modified-Since).
#include "coring/http/date.hpp"


namespace coring::http {

std::string_view format_http_date(std::time_t t, char* buf) noexcept {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  const std::size_t n = std::strftime(buf, 30, "%a, %d %b %Y %H:%M:%S GMT", &tm);  // C locale names
  return {buf, n};
}

std::time_t parse_http_date(std::string_view s) noexcept {
  // IMF-fixdate = day-name "," SP 2DIGIT SP month SP 4DIGIT SP 2DIGIT ":" 2DIGIT ":" 2DIGIT SP "GMT"
  if (s.size() != 29 || s[3] != ',' || s.substr(25) != " GMT") return -1;
  static constexpr const char* kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  auto num = [&](std::size_t at, std::size_t len) {
    int v = 0;
    for (std::size_t i = at; i < at + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  std::tm tm{};
  tm.tm_mday = num(5, 2);
  const std::string_view months(kMonths);
  const std::size_t mon = months.find(s.substr(8, 3));
  tm.tm_year = num(12, 4) - 1900;
  tm.tm_hour = num(17, 2);
  tm.tm_min = num(20, 2);
  tm.tm_sec = num(23, 2);
  if (mon == std::string_view::npos || mon % 3 != 0 || tm.tm_mday < 1 || tm.tm_year < 0 || tm.tm_hour < 0 || tm.tm_min < 0 ||
      tm.tm_sec < 0 || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' || s[22] != ':')
    return -1;
  tm.tm_mon = static_cast<int>(mon / 3);
  return ::timegm(&tm);
}

}  // namespace coring::http
