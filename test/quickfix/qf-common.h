// Shared helpers for our QuickFIX C++ test programs (new-order-initiator,
// trade-capture-initiator): JSON-line output of FIX messages, a thread-safe
// stdout printer and a tiny argv parser.
//
// Why JSON lines: the programs are driven by vitest, which needs to assert on
// what an independent FIX engine received (message types, field values,
// rejects) without parsing QuickFIX's own log format.
//
// Built with -std=gnu++14 on purpose: QuickFIX 1.15 public headers still use
// dynamic exception specifications (`throw( FieldNotFound, ... )`), which
// C++17 rejects. HAVE_STD_UNIQUE_PTR must stay undefined: Debian built
// libquickfix with std::auto_ptr as SmartPtr, and defining it would change
// the ABI of Message::s_dataDictionary and DataDictionary::readFromDocument.
#ifndef TE_GATEWAY_QF_COMMON_H
#define TE_GATEWAY_QF_COMMON_H

#include "quickfix/Application.h"
#include "quickfix/FileLog.h"
#include "quickfix/FileStore.h"
#include "quickfix/SocketInitiator.h"
#include "quickfix/Message.h"
#include "quickfix/Session.h"
#include "quickfix/SessionID.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace qfjson {

inline std::string escape(const std::string& in) {
  std::string out;
  out.reserve(in.size() + 2);
  for (unsigned char c : in) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

inline std::string quote(const std::string& s) { return "\"" + escape(s) + "\""; }

// Appends "tag":"value" pairs of one FieldMap (no braces); `first` tracks commas.
inline void writePairs(std::ostringstream& os, const FIX::FieldMap& map, bool& first) {
  for (FIX::FieldMap::const_iterator it = map.begin(); it != map.end(); ++it) {
    if (!first) os << ',';
    first = false;
    os << '"' << it->getTag() << "\":" << quote(it->getString());
  }
}

inline void writeGroups(std::ostringstream& os, const FIX::FieldMap& map);

// {"fields":{...}[,"groups":{...}]} for one group instance.
inline void writeFieldMap(std::ostringstream& os, const FIX::FieldMap& map) {
  os << "{\"fields\":{";
  bool first = true;
  writePairs(os, map, first);
  os << '}';
  writeGroups(os, map);
  os << '}';
}

// ,"groups":{"552":[{...},{...}]} when QuickFIX parsed repeating groups, which
// it only does with UseDataDictionary=Y; without a dictionary a group's fields
// stay flat in "fields".
inline void writeGroups(std::ostringstream& os, const FIX::FieldMap& map) {
  if (map.g_begin() == map.g_end()) return;
  os << ",\"groups\":{";
  bool firstGroup = true;
  for (FIX::FieldMap::g_const_iterator g = map.g_begin(); g != map.g_end(); ++g) {
    if (!firstGroup) os << ',';
    firstGroup = false;
    os << '"' << g->first << "\":[";
    for (std::size_t i = 0; i < g->second.size(); ++i) {
      if (i) os << ',';
      writeFieldMap(os, *g->second[i]);
    }
    os << ']';
  }
  os << '}';
}

inline std::string headerField(const FIX::Message& m, int tag) {
  return m.getHeader().isSetField(tag) ? m.getHeader().getField(tag) : std::string();
}

// One line: {"dir":"in","msgType":"AE","seq":7,"fields":{...},"groups":{...}}.
// Header fields are merged into "fields" so a test can read 34/49/56/52 too.
inline std::string messageLine(const char* dir, const FIX::Message& m) {
  std::ostringstream os;
  os << "{\"dir\":\"" << dir << "\",\"msgType\":" << quote(headerField(m, 35))
     << ",\"seq\":" << std::atoi(headerField(m, 34).c_str()) << ",\"fields\":{";
  bool first = true;
  writePairs(os, m.getHeader(), first);
  writePairs(os, m, first);
  os << '}';
  writeGroups(os, m);
  os << '}';
  return os.str();
}

// Serialises stdout lines from the session thread and main thread.
class Printer {
 public:
  void line(const std::string& s) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::cout << s << std::endl;
  }

 private:
  std::mutex mutex_;
};

// Minimal "--name value" / "--flag" parser; positional args kept in order.
class Args {
 public:
  Args(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
        std::string key = a.substr(2);
        std::string::size_type eq = key.find('=');
        if (eq != std::string::npos) {
          multi_[key.substr(0, eq)].push_back(key.substr(eq + 1));
        } else if (i + 1 < argc && std::string(argv[i + 1]).compare(0, 2, "--") != 0 &&
                   !isFlag(key)) {
          multi_[key].push_back(argv[++i]);
        } else {
          multi_[key].push_back("");
        }
      } else {
        positional.push_back(a);
      }
    }
  }
  bool has(const std::string& k) const { return multi_.count(k) > 0; }
  std::string get(const std::string& k, const std::string& dflt) const {
    std::map<std::string, std::vector<std::string> >::const_iterator it = multi_.find(k);
    return it == multi_.end() || it->second.empty() ? dflt : it->second.back();
  }
  long getLong(const std::string& k, long dflt) const {
    return has(k) ? std::strtol(get(k, "").c_str(), 0, 10) : dflt;
  }
  std::vector<std::string> all(const std::string& k) const {
    std::map<std::string, std::vector<std::string> >::const_iterator it = multi_.find(k);
    return it == multi_.end() ? std::vector<std::string>() : it->second;
  }
  std::vector<std::string> positional;

 private:
  static bool isFlag(const std::string& k) { return k == "help" || k == "unsubscribe"; }
  std::map<std::string, std::vector<std::string> > multi_;
};


// Application base that records what the session saw: counts per MsgType of
// received messages, Rejects (35=3) and BusinessMessageRejects (35=j) in both
// directions, and logon/logout transitions a main thread can wait for.
// Outgoing rejects matter as much as incoming ones: with UseDataDictionary=Y
// QuickFIX answers a message that fails validation with a 35=3 of its own and
// never hands it to fromApp, so "zero rejects" has to include what we sent.
class RecordingApplication : public FIX::Application {
 public:
  explicit RecordingApplication(Printer& out) : out_(out) {}

  void onCreate(const FIX::SessionID&) {}
  void onLogon(const FIX::SessionID& id) {
    FIX::Session* s = FIX::Session::lookupSession(id);
    std::ostringstream os;
    os << "{\"event\":\"logon\",\"session\":" << quote(id.toString());
    if (s) {
      os << ",\"nextSenderSeq\":" << s->getExpectedSenderNum()
         << ",\"nextTargetSeq\":" << s->getExpectedTargetNum();
    }
    os << '}';
    out_.line(os.str());
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sessionID_ = id;
      loggedOn_ = true;
      ++logons_;
    }
    cv_.notify_all();
  }
  void onLogout(const FIX::SessionID& id) {
    out_.line("{\"event\":\"logout\",\"session\":" + quote(id.toString()) + "}");
    {
      std::lock_guard<std::mutex> lock(mutex_);
      loggedOn_ = false;
      ++logouts_;
    }
    cv_.notify_all();
  }
  void toAdmin(FIX::Message& m, const FIX::SessionID&) { noteOutgoing(m); }
  void toApp(FIX::Message& m, const FIX::SessionID&) throw(FIX::DoNotSend) { noteOutgoing(m); }
  void fromAdmin(const FIX::Message& m, const FIX::SessionID&)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) {
    const std::string type = headerField(m, 35);
    // Heartbeats/TestRequests are noise for the assertions we serve.
    if (type != "0" && type != "1") out_.line(messageLine("in", m));
    record(type);
  }
  void fromApp(const FIX::Message& m, const FIX::SessionID& id)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
            FIX::UnsupportedMessageType) {
    out_.line(messageLine("in", m));
    record(headerField(m, 35));
    onAppMessage(m, id);
  }

  // Blocks until pred() holds (checked under the lock) or the deadline passes.
  template <typename Pred>
  bool waitUntil(std::chrono::steady_clock::time_point deadline, Pred pred) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_until(lock, deadline, [&] { return pred(); });
  }
  bool waitLoggedOn(std::chrono::steady_clock::time_point deadline) {
    return waitUntil(deadline, [this] { return loggedOn_; });
  }
  bool waitLoggedOut(std::chrono::steady_clock::time_point deadline) {
    return waitUntil(deadline, [this] { return !loggedOn_; });
  }

  // {"AE":3,"AQ":2,...} of received messages.
  std::string countsJson() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::ostringstream os;
    os << '{';
    bool first = true;
    for (std::map<std::string, int>::const_iterator it = received_.begin(); it != received_.end(); ++it) {
      if (!first) os << ',';
      first = false;
      os << quote(it->first) << ':' << it->second;
    }
    os << '}';
    return os.str();
  }
  int received(const std::string& type) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::map<std::string, int>::const_iterator it = received_.find(type);
    return it == received_.end() ? 0 : it->second;
  }
  int rejectsIn() { std::lock_guard<std::mutex> l(mutex_); return rejectsIn_; }
  int rejectsOut() { std::lock_guard<std::mutex> l(mutex_); return rejectsOut_; }
  int logons() { std::lock_guard<std::mutex> l(mutex_); return logons_; }
  // For waitUntil predicates, which already hold mutex_.
  int logonsLocked() const { return logons_; }
  bool loggedOn() { std::lock_guard<std::mutex> l(mutex_); return loggedOn_; }
  FIX::SessionID sessionID() { std::lock_guard<std::mutex> l(mutex_); return sessionID_; }

 protected:
  // Called on the session thread after an app message was printed and counted;
  // subclasses update their own state under mutex_ and call cv_.notify_all().
  virtual void onAppMessage(const FIX::Message&, const FIX::SessionID&) {}

  Printer& out_;
  std::mutex mutex_;
  std::condition_variable cv_;

 private:
  void record(const std::string& type) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++received_[type];
      if (type == "3" || type == "j") ++rejectsIn_;
    }
    cv_.notify_all();
  }
  void noteOutgoing(const FIX::Message& m) {
    const std::string type = headerField(m, 35);
    if (type != "3" && type != "j") return;
    out_.line(messageLine("out", m));
    std::lock_guard<std::mutex> lock(mutex_);
    ++rejectsOut_;
  }

  std::map<std::string, int> received_;
  int rejectsIn_ = 0;
  int rejectsOut_ = 0;
  int logons_ = 0;
  int logouts_ = 0;
  bool loggedOn_ = false;
  FIX::SessionID sessionID_;
};

/**
 * A SocketInitiator with what it needs to outlive: its file store and, only when FileLogPath is
 * configured, a file log (stdout is reserved for JSON lines).
 */
struct InitiatorParts {
  FIX::FileStoreFactory store;
  std::unique_ptr<FIX::LogFactory> log;
  std::unique_ptr<FIX::SocketInitiator> initiator;

  InitiatorParts(FIX::Application& app, const FIX::SessionSettings& settings)
      : store(settings),
        log(settings.get().has("FileLogPath") ? new FIX::FileLogFactory(settings) : nullptr),
        initiator(log ? new FIX::SocketInitiator(app, store, settings, *log)
                      : new FIX::SocketInitiator(app, store, settings)) {}
};

inline std::chrono::steady_clock::time_point afterMs(long ms) {
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
}

}  // namespace qfjson

#endif
