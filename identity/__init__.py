"""Who someone is: real-name registration, SMS one-time codes, face verification, consent."""
