//! A bare HTTP server that misbehaves as a hostile registry would, and
//! records the request lines and headers it saw.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Size of each `/big` answer.
pub const BIG: usize = 24 << 20;
/// Headers of each `/fat` answer, and the length of each value.
const FAT_HEADERS: usize = 90;
const FAT_VALUE: usize = 4000;

/// `/redirect` sends the client to `peer`, `/slow` trickles a byte a
/// second, `/big` streams [`BIG`] bytes without announcing a length, `/fat`
/// answers with about 360 KB of headers; anything else is `200 {}`.
pub struct Server {
    pub addr: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(peer: Option<String>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                let peer = peer.clone();
                std::thread::spawn(move || serve(stream, &log, peer));
            }
        });
        Server { addr, seen }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// One request per connection: every answer closes it.
fn serve(stream: TcpStream, log: &Mutex<Vec<String>>, peer: Option<String>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        head.push(line.trim_end().to_string());
    }
    let first = head.first().cloned().unwrap_or_default();
    log.lock().unwrap().extend(head);
    let path = first.split(' ').nth(1).unwrap_or_default();
    let mut stream = stream;
    let _ = match path.split('?').next().unwrap_or_default() {
        "/redirect" => write!(
            stream,
            "HTTP/1.1 302 Found\r\nLocation: {}/v2/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            peer.unwrap_or_default()
        ),
        "/slow" => {
            let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
            for _ in 0..1000 {
                if stream.write_all(b"x").and_then(|_| stream.flush()).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
            Ok(())
        }
        "/big" => {
            let _ = write!(stream, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            let chunk = vec![b'b'; 1 << 20];
            (0..BIG >> 20).try_for_each(|_| stream.write_all(&chunk))
        }
        "/fat" => {
            let value = "f".repeat(FAT_VALUE);
            let headers: String = (0..FAT_HEADERS)
                .map(|i| format!("x-fat-{i}: {value}\r\n"))
                .collect();
            write!(
                stream,
                "HTTP/1.1 200 OK\r\n{headers}Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
            )
        }
        _ => write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
        ),
    };
}
