//! The email: the .eml file and sending it by SMTP.
