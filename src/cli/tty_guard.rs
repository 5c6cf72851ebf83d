//! The hidden prompt turns the terminal's echo off; a ^C (or a hang-up, or `kill`) while it
//! is off would end the program with the terminal still silent, so the person's next
//! commands are typed blind. [`restoring`] keeps the terminal's modes and, for the length
//! of the prompt, catches the signals that end a program: the handler puts the modes back,
//! ends the line, and raises the signal again with its default action, so the exit status
//! is still "killed by SIGINT" as the shell expects.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicI32, Ordering};

/// The terminal's modes before the prompt, for the handler. Written only while no handler
/// is installed ([`TTY`] is -1), read only by the handler.
struct Saved(UnsafeCell<std::mem::MaybeUninit<libc::termios>>);
// SAFETY: see the type's doc: the writes and the reads never overlap.
unsafe impl Sync for Saved {}

static SAVED: Saved = Saved(UnsafeCell::new(std::mem::MaybeUninit::uninit()));
/// The terminal's descriptor while a prompt runs, else -1.
static TTY: AtomicI32 = AtomicI32::new(-1);

const SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

extern "C" fn on_signal(sig: libc::c_int) {
    let fd = TTY.load(Ordering::Acquire);
    if fd >= 0 {
        // SAFETY: tcsetattr and write are async-signal-safe; SAVED was written before fd
        // was published.
        unsafe {
            libc::tcsetattr(fd, libc::TCSANOW, (*SAVED.0.get()).as_ptr());
            libc::write(fd, b"\n".as_ptr().cast(), 1);
        }
    }
    // SA_RESETHAND made the action the default again; the signal is blocked until this
    // handler returns, then delivered.
    // SAFETY: raise is async-signal-safe.
    unsafe {
        libc::raise(sig);
    }
}

/// Runs `f` (a prompt that may turn echo off) with the terminal's modes put back should a
/// signal end the program meanwhile. Without a terminal, just runs `f`.
pub fn restoring<T>(f: impl FnOnce() -> T) -> T {
    let path = c"/dev/tty";
    // SAFETY: a constant C string; the descriptor is closed below.
    let fd = unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return f();
    }
    // SAFETY: SAVED's buffer is valid for a termios; no handler reads it yet.
    if unsafe { libc::tcgetattr(fd, (*SAVED.0.get()).as_mut_ptr()) } != 0 {
        // SAFETY: fd was opened above.
        unsafe { libc::close(fd) };
        return f();
    }
    TTY.store(fd, Ordering::Release);
    // SAFETY: zeroed sigaction structs are valid; the handler is an extern "C" fn of the
    // type sigaction expects for a handler without SA_SIGINFO.
    let mut old: [libc::sigaction; 4] = unsafe { std::mem::zeroed() };
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        act.sa_flags = libc::SA_RESETHAND;
        libc::sigemptyset(&mut act.sa_mask);
        for (sig, old) in SIGNALS.iter().zip(old.iter_mut()) {
            libc::sigaction(*sig, &act, old);
        }
    }
    let result = f();
    // SAFETY: the saved actions are what sigaction returned above.
    unsafe {
        for (sig, old) in SIGNALS.iter().zip(old.iter()) {
            libc::sigaction(*sig, old, std::ptr::null_mut());
        }
    }
    TTY.store(-1, Ordering::Release);
    // SAFETY: fd was opened above and no handler uses it any more.
    unsafe { libc::close(fd) };
    result
}
