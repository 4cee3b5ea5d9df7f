//! Connections that a handler can drop mid-body, the way a flaky network does: the body listener
//! wraps each TCP stream so that, once killed, every read and write fails and hyper closes it.

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct KillState {
    killed: AtomicBool,
    /// Kill at the next flush: once hyper has written out everything it holds.
    at_flush: AtomicBool,
    /// The tasks parked on this connection, woken so that they notice the kill at once.
    wakers: Mutex<Vec<Waker>>,
}

/// The handle a handler gets (as `ConnectInfo<ConnKill>`) to drop its own connection.
#[derive(Clone)]
pub(crate) struct ConnKill(Arc<KillState>);

impl ConnKill {
    pub fn kill(&self) {
        self.0.killed.store(true, Ordering::SeqCst);
        let wakers = std::mem::take(&mut *self.0.wakers.lock().unwrap_or_else(|e| e.into_inner()));
        for waker in wakers {
            waker.wake();
        }
    }

    /// Drops the connection once every byte handed to the server so far is on the wire, so a
    /// cut body reaches the client up to the cut and no further.
    pub fn kill_after_flush(&self) {
        self.0.at_flush.store(true, Ordering::SeqCst);
    }
}

pub(crate) struct KillableListener(pub TcpListener);

pub(crate) struct KillableStream {
    stream: TcpStream,
    state: Arc<KillState>,
}

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    let state = Arc::new(KillState::default());
                    return (KillableStream { stream, state }, addr);
                }
                // Too many open files and the like: wait a little rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

impl Connected<IncomingStream<'_, KillableListener>> for ConnKill {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        ConnKill(stream.io().state.clone())
    }
}

impl KillableStream {
    /// `Some(error)` once killed; otherwise remembers the waker in case a kill comes later.
    fn check(&self, cx: &Context<'_>) -> Option<io::Error> {
        if self.state.killed.load(Ordering::SeqCst) {
            return Some(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "connection dropped by the sandbox",
            ));
        }
        let mut wakers = self.state.wakers.lock().unwrap_or_else(|e| e.into_inner());
        if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
            if wakers.len() >= 4 {
                wakers.remove(0);
            }
            wakers.push(cx.waker().clone());
        }
        None
    }
}

impl AsyncRead for KillableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(e) = this.check(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(e) = this.check(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(e) = this.check(cx) {
            return Poll::Ready(Err(e));
        }
        let flushed = std::task::ready!(Pin::new(&mut this.stream).poll_flush(cx));
        // hyper flushes the socket only after writing out its own buffer: all is sent now.
        if flushed.is_ok() && this.state.at_flush.load(Ordering::SeqCst) {
            ConnKill(this.state.clone()).kill();
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "connection dropped by the sandbox",
            )));
        }
        Poll::Ready(flushed)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
