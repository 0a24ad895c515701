"""A throwaway CA and server certificates made with the openssl command line, for TLS tests
(integration and browser): nothing is read from or written to the system trust store."""
import os
import subprocess


def _run(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(directory):
    _run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
         "-subj", "/CN=Switchboard Test CA", cwd=directory)
    return os.path.join(directory, "ca.pem")


def make_server_cert(directory, name="server", cn="localhost", days=2):
    """Signs a certificate for localhost and 127.0.0.1 with the CA in `directory`; days < 0 makes
    one that has already expired. Returns (cert path, key path)."""
    ext = os.path.join(directory, name + ".ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    _run("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
         "-subj", "/CN=" + cn, cwd=directory)
    _run("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", name + ".pem", "-days", str(days), "-extfile", ext, cwd=directory)
    return os.path.join(directory, name + ".pem"), os.path.join(directory, name + ".key")


def spki_sha256_base64(cert_path):
    """The certificate's public key hash as Chromium's --ignore-certificate-errors-spki-list wants it."""
    pub = subprocess.run(["openssl", "x509", "-in", cert_path, "-noout", "-pubkey"], check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub, check=True, capture_output=True).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der, check=True, capture_output=True).stdout
    return subprocess.run(["openssl", "base64"], input=digest, check=True, capture_output=True).stdout.decode().strip()
