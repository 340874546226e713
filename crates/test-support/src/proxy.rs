//! An HTTP proxy in front of the emulator that adds AWS-like latency to every
//! request (the emulator answers in ~3 ms, AWS in tens of ms), and can lose the
//! response of one request after forwarding it, as a network failure would, and
//! can rate-limit one kind of request as SES does ([`DelayProxy::throttle`]),
//! answer one kind with an AWS error ([`DelayProxy::answer_error`]) or answer it
//! late ([`DelayProxy::answer_late`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Hop-by-hop and framing headers the proxy sets itself.
const SKIPPED: [&str; 5] = [
    "connection",
    "content-length",
    "transfer-encoding",
    "keep-alive",
    "host",
];

/// A running proxy; it stops accepting when dropped (with the test process).
pub struct DelayProxy {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    lose: Arc<Mutex<Vec<String>>>,
    lost: Arc<Mutex<usize>>,
    limit: Arc<Mutex<Option<Limit>>>,
    hang: Arc<Mutex<Option<String>>>,
    faults: Arc<Mutex<Vec<Fault>>>,
}

/// What the proxy does instead of (or after) forwarding a matching request.
enum Fault {
    /// Answer `times` requests with this AWS Query error, never forwarding them.
    Error {
        marker: String,
        times: usize,
        status: u16,
        body: String,
    },
    /// Forward every matching request, and hold its answer for `delay`.
    Late { marker: String, delay: Duration },
}

/// A token bucket over the requests whose body contains `marker`: `rate` per
/// second, at most `rate` at once (SES's "maximum send rate").
struct Limit {
    marker: String,
    rate: f64,
    tokens: f64,
    at: Instant,
    throttled: usize,
    passed: usize,
}

impl Limit {
    /// Takes a token if there is one (refilled for the time since the last call).
    fn admit(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.at).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.rate.max(1.0));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.passed += 1;
            true
        } else {
            self.throttled += 1;
            false
        }
    }
}

/// SES's answer above the sending rate.
const THROTTLING: &str = "<ErrorResponse xmlns=\"http://ses.amazonaws.com/doc/2010-12-01/\">\
<Error><Type>Sender</Type><Code>Throttling</Code><Message>Maximum sending rate exceeded.</Message>\
</Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>";

struct Shared {
    upstream: String,
    delay: Duration,
    lose: Arc<Mutex<Vec<String>>>,
    lost: Arc<Mutex<usize>>,
    limit: Arc<Mutex<Option<Limit>>>,
    hang: Arc<Mutex<Option<String>>>,
    faults: Arc<Mutex<Vec<Fault>>>,
    agent: ureq::Agent,
}

impl DelayProxy {
    /// Forwards to `upstream` (`http://host:port`), each request `delay` late.
    pub fn start(upstream: &str, delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let lose = Arc::new(Mutex::new(Vec::new()));
        let lost = Arc::new(Mutex::new(0));
        let limit = Arc::new(Mutex::new(None));
        let hang = Arc::new(Mutex::new(None));
        let faults = Arc::new(Mutex::new(Vec::new()));
        let agent = ureq::Agent::new_with_config(
            ureq::config::Config::builder()
                .http_status_as_error(false)
                .build(),
        );
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            delay,
            lose: lose.clone(),
            lost: lost.clone(),
            limit: limit.clone(),
            hang: hang.clone(),
            faults: faults.clone(),
            agent,
        });
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Self {
            endpoint,
            lose,
            lost,
            limit,
            hang,
            faults,
        }
    }

    /// The next `times` requests whose body contains `marker` (e.g.
    /// `Action=AttachUserPolicy`) get the AWS Query error `code` with HTTP
    /// `status` (400 for the sender's fault, 500 for AWS's) without reaching the
    /// emulator; `usize::MAX` for a persistent failure.
    pub fn answer_error(&self, marker: &str, times: usize, status: u16, code: &str, message: &str) {
        let kind = if status >= 500 { "Receiver" } else { "Sender" };
        let body = format!(
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>{kind}</Type>\
             <Code>{code}</Code><Message>{message}</Message></Error>\
             <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
        );
        self.faults.lock().unwrap().push(Fault::Error {
            marker: marker.to_string(),
            times,
            status,
            body,
        });
    }

    /// From now on, requests whose body contains `marker` reach the emulator (which
    /// acts on them), and their answers are held for `delay`: a slow AWS answer.
    pub fn answer_late(&self, marker: &str, delay: Duration) {
        self.faults.lock().unwrap().push(Fault::Late {
            marker: marker.to_string(),
            delay,
        });
    }

    /// Until [`DelayProxy::release`], requests whose body contains `marker` (e.g.
    /// `Action=SendEmail`) hang: they never reach the emulator and get no answer
    /// (released, their connection closes).
    pub fn hang(&self, marker: &str) {
        *self.hang.lock().unwrap() = Some(marker.to_string());
    }

    /// Ends [`DelayProxy::hang`].
    pub fn release(&self) {
        *self.hang.lock().unwrap() = None;
    }

    /// From now on, requests whose body contains `marker` (e.g. `Action=SendEmail`)
    /// pass at most `per_second` per second (a token bucket holding `per_second`);
    /// the others get SES's `Throttling` "Maximum sending rate exceeded." (HTTP 400)
    /// without reaching the emulator.
    pub fn throttle(&self, marker: &str, per_second: f64) {
        *self.limit.lock().unwrap() = Some(Limit {
            marker: marker.to_string(),
            rate: per_second,
            tokens: per_second.max(1.0),
            at: Instant::now(),
            throttled: 0,
            passed: 0,
        });
    }

    /// `(passed, throttled)`: the rate-limited requests let through and refused so far.
    pub fn throttle_counts(&self) -> (usize, usize) {
        self.limit
            .lock()
            .unwrap()
            .as_ref()
            .map_or((0, 0), |l| (l.passed, l.throttled))
    }

    /// How many responses were lost so far.
    pub fn lost(&self) -> usize {
        *self.lost.lock().unwrap()
    }

    /// The next request whose body contains `marker` (e.g. `Action=CreateUser`)
    /// reaches the emulator, but its response is lost: the connection closes.
    pub fn lose_next_response(&self, marker: &str) {
        self.lose.lock().unwrap().push(marker.to_string());
    }
}

/// Serves one client connection (keep-alive: many requests).
fn serve(stream: TcpStream, shared: &Shared) {
    let mut writer = stream.try_clone().expect("clone stream");
    let mut reader = BufReader::new(stream);
    while let Some((method, path, headers, body)) = read_request(&mut reader) {
        std::thread::sleep(shared.delay);
        let mut request = ureq::http::Request::builder()
            .method(method.as_str())
            .uri(format!("{}{path}", shared.upstream));
        for (name, value) in &headers {
            if !SKIPPED.contains(&name.to_ascii_lowercase().as_str()) {
                request = request.header(name, value);
            }
        }
        let text = String::from_utf8_lossy(&body).into_owned();
        let hangs = |shared: &Shared| {
            shared
                .hang
                .lock()
                .unwrap()
                .as_ref()
                .is_some_and(|m| text.contains(m.as_str()))
        };
        if hangs(shared) {
            while hangs(shared) {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
        let refused = shared
            .limit
            .lock()
            .unwrap()
            .as_mut()
            .is_some_and(|l| text.contains(l.marker.as_str()) && !l.admit());
        if refused {
            let head = format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: text/xml\r\ncontent-length: {}\r\n\r\n",
                THROTTLING.len()
            );
            if writer.write_all(head.as_bytes()).is_err()
                || writer.write_all(THROTTLING.as_bytes()).is_err()
            {
                return;
            }
            continue;
        }
        let (error, late) = take_fault(&mut shared.faults.lock().unwrap(), &text);
        if let Some((status, body)) = error {
            let head = format!(
                "HTTP/1.1 {status} Error\r\ncontent-type: text/xml\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            if writer.write_all(head.as_bytes()).is_err()
                || writer.write_all(body.as_bytes()).is_err()
            {
                return;
            }
            continue;
        }
        let lost = {
            let mut lose = shared.lose.lock().unwrap();
            let hit = lose.iter().position(|m| text.contains(m.as_str()));
            hit.map(|i| lose.remove(i))
        };
        let Ok(mut response) = shared.agent.run(request.body(body).unwrap()) else {
            return;
        };
        if let Some(delay) = late {
            std::thread::sleep(delay);
        }
        if lost.is_some() {
            *shared.lost.lock().unwrap() += 1;
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
        let status = response.status();
        let mut head = format!(
            "HTTP/1.1 {} {}\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
        for (name, value) in response.headers() {
            if !SKIPPED.contains(&name.as_str()) {
                head.push_str(&format!(
                    "{name}: {}\r\n",
                    value.to_str().unwrap_or_default()
                ));
            }
        }
        let body = response.body_mut().read_to_vec().unwrap_or_default();
        head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&body).is_err() {
            return;
        }
    }
}

/// The error to answer a request with `text` as its body (one use taken), or
/// how long to hold its answer.
fn take_fault(faults: &mut [Fault], text: &str) -> (Option<(u16, String)>, Option<Duration>) {
    for fault in faults.iter_mut() {
        match fault {
            Fault::Error {
                marker,
                times,
                status,
                body,
            } if *times > 0 && text.contains(marker.as_str()) => {
                *times -= 1;
                return (Some((*status, body.clone())), None);
            }
            Fault::Late { marker, delay } if text.contains(marker.as_str()) => {
                return (None, Some(*delay));
            }
            _ => {}
        }
    }
    (None, None)
}

type Request = (String, String, Vec<(String, String)>, Vec<u8>);

/// Reads one request with a `Content-Length` body; `None` at the connection's end.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((method, path, headers, body))
}
