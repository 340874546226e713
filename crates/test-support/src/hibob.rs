//! A local stand-in for HiBob's People API (HiBob cannot run here), built from
//! its published docs (apidocs.hibob.com, "People" → `POST /v1/people/{identifier}`
//! and "API service users"): HTTP Basic with a service user's id and token, a
//! JSON body with `fields`, the employee as JSON (root fields at the top, `work`
//! and `internal` nested, `humanReadable` with display values), `404` for an
//! employee it does not show, and failures on demand.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

#[derive(Default)]
struct State {
    people: HashMap<String, Value>,
    /// Statuses to answer the next requests with, in order.
    failures: Vec<u16>,
    /// Employees whose every request is answered with a status.
    failing: HashMap<String, u16>,
    requests: Vec<(String, Value)>,
}

/// A running fake; it stops accepting when dropped (with the test process).
pub struct FakeHiBob {
    /// `http://127.0.0.1:PORT` (what `HIBOB_API_URL` is set to).
    pub url: String,
    authorization: String,
    state: Arc<Mutex<State>>,
}

impl FakeHiBob {
    /// Serves the employees added with [`FakeHiBob::add`] to the service user
    /// `user` with `token`.
    pub fn start(user: &str, token: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let authorization = format!("Basic {}", STANDARD.encode(format!("{user}:{token}")));
        let state = Arc::new(Mutex::new(State::default()));
        let (shared, auth) = (state.clone(), authorization.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (state, auth) = (shared.clone(), auth.clone());
                std::thread::spawn(move || serve(stream, &state, &auth));
            }
        });
        Self {
            url,
            authorization,
            state,
        }
    }

    /// Shows `person` (the People API's answer) as employee `id`.
    pub fn add(&self, id: &str, person: Value) {
        self.state
            .lock()
            .unwrap()
            .people
            .insert(id.to_string(), person);
    }

    /// Answers the next `times` requests with HTTP `status` (e.g. 500, 429).
    pub fn fail_next(&self, times: usize, status: u16) {
        self.state
            .lock()
            .unwrap()
            .failures
            .extend(std::iter::repeat_n(status, times));
    }

    /// Answers every request for employee `id` with HTTP `status`.
    pub fn fail_for(&self, id: &str, status: u16) {
        self.state
            .lock()
            .unwrap()
            .failing
            .insert(id.to_string(), status);
    }

    /// Ends [`FakeHiBob::fail_for`] for employee `id`.
    pub fn heal(&self, id: &str) {
        self.state.lock().unwrap().failing.remove(id);
    }

    /// Every request so far: the path and the JSON body.
    pub fn requests(&self) -> Vec<(String, Value)> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The `Authorization` header the fake accepts.
    pub fn authorization(&self) -> &str {
        &self.authorization
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>, authorization: &str) {
    let mut writer = stream.try_clone().expect("clone stream");
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let mut headers = HashMap::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
            }
        }
        let length = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let (status, answer) = {
            let mut state = state.lock().unwrap();
            state.requests.push((path.clone(), json.clone()));
            let id = path.strip_prefix("/v1/people/").map(str::to_string);
            let failing = id.as_ref().and_then(|id| state.failing.get(id)).copied();
            if let Some(status) =
                failing.or_else(|| (!state.failures.is_empty()).then(|| state.failures.remove(0)))
            {
                (status, format!("{{\"error\": \"fake failure {status}\"}}"))
            } else if headers.get("authorization").map(String::as_str) != Some(authorization) {
                (401, "{\"error\": \"unauthorized\"}".to_string())
            } else if method != "POST" || id.is_none() || !json["fields"].is_array() {
                (
                    400,
                    "{\"error\": \"POST /v1/people/{id} with {\\\"fields\\\": [...]}\"}"
                        .to_string(),
                )
            } else {
                match state.people.get(&id.unwrap()) {
                    Some(person) => (200, person.to_string()),
                    None => (404, "{\"error\": \"not found\"}".to_string()),
                }
            }
        };
        let head = format!(
            "HTTP/1.1 {status} Fake\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            answer.len()
        );
        if writer.write_all(head.as_bytes()).is_err()
            || writer.write_all(answer.as_bytes()).is_err()
        {
            return;
        }
    }
}
