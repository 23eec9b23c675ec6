// Enum values outside their enum, as a C caller may store them (-1, 9, 99,
// INT_MAX in a dtype, an activation, an RNN scheme, a verdict of a hand-filled
// report, ...), are refused with INVALID_VALUE and a message that names the
// call, nothing written, and never loaded as an enum inside the library (the
// ASan + UBSan build traps such a load). One test walks the table of
// tests/api_enum_calls.c; a second checks that the table holds every enum
// argument and every enum field of an input struct that include/cubias.h has.
#include <limits.h>
#include <string.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "api_enum_calls.h"
#include "util.h"

namespace {

// Valid data on a CPU handle for every case of the table.
struct Env {
  cubias_handle_t h = nullptr;
  std::vector<float> z, w;
  std::vector<int32_t> labels = {0, 1, 2, 3, 0, 1, 1, 2};
  std::vector<uint8_t> targets;
  std::vector<double> probs = {0.1, 0.2, 0.3, 0.4};
  std::vector<unsigned char> out = std::vector<unsigned char>(512);
  double w_out = 0;
  cubias_gain_layer_report_t report;
  cubias_gain_summary_t summary;
  api_enum_env_t env;

  Env() {
    EXPECT_EQ(cubias_create(&h, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
    z = tu::normal(32, 0.0, 1.0, 11);
    w = tu::normal(16, 0.0, 0.5, 12);
    for (int i = 0; i < 32; ++i) targets.push_back((uint8_t)(i % 3 == 0));
    env.h = h;
    EXPECT_EQ(cubias_stats_create(h, 4, CUBIAS_ACT_RELU, 0.0f, &env.relu), 0);
    EXPECT_EQ(cubias_stats_create(h, 4, CUBIAS_ACT_TANH, 0.0f, &env.tanh_s), 0);
    cubias_tensor_t t;
    EXPECT_EQ(cubias_tensor_rows(&t, z.data(), CUBIAS_DTYPE_F32, 8, 4), 0);
    EXPECT_EQ(cubias_stats_accumulate(h, env.relu, &t), 0);
    EXPECT_EQ(cubias_stats_accumulate(h, env.tanh_s, &t), 0);
    env.z = z.data();
    env.w = w.data();
    env.out = out.data();
    env.w_out = &w_out;
    env.labels = labels.data();
    env.targets = targets.data();
    env.probs = probs.data();
    cubias_gain_layer_t layer;
    EXPECT_EQ(cubias_weight_make(&layer.weight, w.data(), CUBIAS_DTYPE_F32, 4, 4,
                                 CUBIAS_WEIGHT_ROW_MAJOR, 0),
              0);
    layer.preact = env.relu;
    layer.grad = nullptr;
    EXPECT_EQ(cubias_gain_report(h, 1, &layer, nullptr, &report, &summary), 0)
        << cubias_get_last_error(h);
    env.report = &report;
    env.summary = &summary;
  }
  ~Env() {
    cubias_stats_destroy(env.relu);
    cubias_stats_destroy(env.tanh_s);
    cubias_destroy(h);
  }
};

TEST(ApiEnums, EveryEnumArgumentAndFieldRefusesIntsOutsideItsEnum) {
  Env e;
  ASSERT_GE(api_enum_case_count, 70);
  for (int i = 0; i < api_enum_case_count; ++i) {
    const api_enum_case_t &c = api_enum_cases[i];
    SCOPED_TRACE(std::string(c.call) + ", " + c.what);
    // The case itself is sound: with a value of the enum the call succeeds.
    EXPECT_EQ(c.run(&e.env, c.valid), CUBIAS_STATUS_SUCCESS)
        << "valid " << c.valid << ": " << cubias_get_last_error(nullptr);
    for (int bad : {-1, 9, 99, INT_MAX, c.n_values}) {
      if (bad >= 0 && bad < c.n_values) continue;  // 9 is a status and a field
      std::fill(e.out.begin(), e.out.end(), (unsigned char)0xA5);
      cubias_clear_last_error(e.h);
      EXPECT_EQ(c.run(&e.env, bad), CUBIAS_STATUS_INVALID_VALUE) << "value " << bad;
      for (unsigned char b : e.out) ASSERT_EQ(b, 0xA5) << "value " << bad << " wrote output";
      if (!c.records_error) continue;
      const std::string msg = cubias_get_last_error(nullptr);
      EXPECT_EQ(msg.rfind(std::string(c.call) + ": ", 0), 0u) << "value " << bad << ": " << msg;
      EXPECT_NE(msg.find(std::to_string(bad)), std::string::npos)
          << "the message should show the value " << bad << ": " << msg;
      const std::string on_handle = cubias_get_last_error(e.h);
      if (!on_handle.empty()) EXPECT_EQ(on_handle, msg);
    }
  }
}

// ---- the table is complete ------------------------------------------------------

std::string strip_comments(const std::string &s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 2, "/*") == 0) {
      size_t e = s.find("*/", i + 2);
      i = e == std::string::npos ? s.size() : e + 1;
      out += ' ';
    } else if (s.compare(i, 2, "//") == 0) {
      i = s.find('\n', i);
      if (i == std::string::npos) break;
      out += '\n';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(s);
  std::string p;
  while (std::getline(ss, p, sep)) parts.push_back(p);
  return parts;
}

std::vector<std::string> words(const std::string &s) {
  std::vector<std::string> w;
  std::regex id("[A-Za-z_][A-Za-z_0-9]*|\\*");
  for (std::sregex_iterator it(s.begin(), s.end(), id), end; it != end; ++it) w.push_back(it->str());
  return w;
}

// Every (call, argument) with an enum type, and every (call, arg->field) for an
// enum field of a const struct the call reads (one level of nesting: a.b.c).
TEST(ApiEnums, TableCoversEveryEnumOfTheHeader) {
  std::string path = __FILE__;
  path = path.substr(0, path.rfind('/')) + "/../include/cubias.h";
  std::ifstream f(path);
  ASSERT_TRUE(f.good()) << path;
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string hdr = strip_comments(ss.str());

  std::set<std::string> enums;
  std::regex enum_re("typedef\\s+enum\\s*\\w*\\s*\\{[^}]*\\}\\s*(\\w+)\\s*;");
  for (std::sregex_iterator it(hdr.begin(), hdr.end(), enum_re), end; it != end; ++it)
    enums.insert((*it)[1]);
  ASSERT_GE(enums.size(), 12u);

  // struct name -> list of (type, field)
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> structs;
  std::regex struct_re("typedef\\s+struct\\s*\\w*\\s*\\{([^}]*)\\}\\s*(\\w+)\\s*;");
  for (std::sregex_iterator it(hdr.begin(), hdr.end(), struct_re), end; it != end; ++it) {
    for (const std::string &decl : split((*it)[1], ';')) {
      std::vector<std::string> w = words(decl);
      if (w.size() < 2) continue;
      std::string type = w[0] == "const" && w.size() > 2 ? w[1] : w[0];
      for (const std::string &name : split(decl.substr(decl.find(type) + type.size()), ',')) {
        std::vector<std::string> nw = words(name);
        if (!nw.empty() && nw.back() != "*" && name.find('*') == std::string::npos)
          structs[(*it)[2]].push_back({type, nw.back()});
      }
    }
  }

  std::set<std::string> want;
  auto enum_fields = [&](const std::string &type, const std::string &prefix, auto &&self,
                         int depth) -> void {
    for (const auto &tf : structs[type]) {
      if (enums.count(tf.first)) want.insert(prefix + tf.second);
      else if (structs.count(tf.first) && depth == 0)
        self(tf.first, prefix + tf.second + ".", self, 1);
    }
  };
  std::regex fn_re("CUBIAS_API[^;(]*?\\b(cubias_\\w+)\\s*\\(([^)]*)\\)\\s*;");
  for (std::sregex_iterator it(hdr.begin(), hdr.end(), fn_re), end; it != end; ++it) {
    const std::string fn = (*it)[1];
    for (const std::string &param : split((*it)[2], ',')) {
      std::vector<std::string> w = words(param);
      if (w.size() < 2) continue;
      const bool is_const = w[0] == "const", ptr = param.find('*') != std::string::npos;
      const std::string type = is_const ? w[1] : w[0], name = w.back();
      if (enums.count(type) && !ptr) want.insert(fn + " " + name);
      if (structs.count(type) && ptr && is_const) enum_fields(type, fn + " " + name + "->", enum_fields, 0);
    }
  }
  ASSERT_GE(want.size(), 70u);
  std::set<std::string> have;
  for (int i = 0; i < api_enum_case_count; ++i)
    have.insert(std::string(api_enum_cases[i].call) + " " + api_enum_cases[i].what);
  for (const std::string &w : want) EXPECT_TRUE(have.count(w)) << "no enum case for " << w;
}

}  // namespace
