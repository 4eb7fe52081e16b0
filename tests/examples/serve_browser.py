#!/usr/bin/python3
"""brain_tumor serve's page in headless Chromium (chromium-driver + python3-selenium).

A person's path through the page, with the keyboard only: the model card loads with its
disclaimer; Tab reaches the file picker; a scan chosen there is analysed and its probability,
shown as "p = 0.xxxxxx", equals `brain_tumor predict`'s; the heat map's opacity slider moves with
the arrow keys; a corrupt file shows an error and the page still analyses the next scan; at a
640-pixel-wide window (a 1280-pixel screen at 200% zoom) nothing scrolls sideways. No console
errors. Screenshots of each state go to --shots.

usage: serve_browser.py --url URL --scan FILE --expected P --corrupt FILE --shots DIR
"""
import argparse
import os
import sys

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

failures = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def main():
    parser = argparse.ArgumentParser()
    for name in ("url", "scan", "expected", "corrupt", "shots"):
        parser.add_argument("--" + name, required=True)
    a = parser.parse_args()

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,1000", "--no-first-run", "--disable-extensions"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    wait = WebDriverWait(driver, 60)
    shot = lambda name: driver.save_screenshot(os.path.join(a.shots, name + ".png"))
    try:
        driver.get(a.url)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#card dl"))
        card = driver.find_element(By.ID, "card").text
        check("not a medical device" in card, "the model card says it is not a medical device")
        check("Architecture" in card, "the model card summarises the architecture")

        # Keyboard: Tab from the top of the page reaches the file picker.
        reached = False
        for _ in range(10):
            ActionChains(driver).send_keys(Keys.TAB).perform()
            if driver.switch_to.active_element.get_attribute("id") == "files":
                reached = True
                break
        check(reached, "Tab reaches the file picker")

        # A scan: its probability as predict gives it.
        driver.find_element(By.ID, "files").send_keys(os.path.abspath(a.scan))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results .exact")
                   and d.find_element(By.CSS_SELECTOR, "#results .exact").text)
        shown = driver.find_element(By.CSS_SELECTOR, "#results .exact").text
        check(shown == "p = " + a.expected, f"the page shows {shown!r}, predict says {a.expected}")
        label = driver.find_element(By.CSS_SELECTOR, "#results .label").text
        expected_label = "Tumour" if float(a.expected) > 0.5 else "No tumour"
        check(label.startswith(expected_label), f"the label {label!r} fits the probability")
        wait.until(lambda d: d.execute_script(
            "const c = document.querySelector('#results canvas'); return c && c.width > 1;"))
        check(driver.execute_script(
            "return [...document.querySelectorAll('#results img')].every("
            "i => i.complete && i.naturalWidth > 0);"), "the crop and the heat map are drawn")
        check(driver.find_element(By.CSS_SELECTOR, "#results .calibration").text != "",
              "a line on calibration is shown")

        # The opacity slider, by keyboard.
        slider = driver.find_element(By.CSS_SELECTOR, "#results input[type=range]")
        before = driver.execute_script(
            "return getComputedStyle(document.querySelector('#results img.heat')).opacity;")
        slider.send_keys(Keys.ARROW_RIGHT * 10)
        after = driver.execute_script(
            "return getComputedStyle(document.querySelector('#results img.heat')).opacity;")
        check(float(after) > float(before), f"the slider changes the heat map's opacity "
              f"({before} -> {after})")
        shot("result")

        # A corrupt file: an error shown, then the page still works.
        driver.find_element(By.ID, "files").send_keys(os.path.abspath(a.corrupt))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results .error .message"))
        message = driver.find_element(By.CSS_SELECTOR, "#results .error .message").text
        check(os.path.basename(a.corrupt) in message, f"the error names the file: {message!r}")
        shot("corrupt")
        driver.find_element(By.ID, "files").send_keys(os.path.abspath(a.scan))
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results .exact")) == 2)
        again = driver.find_elements(By.CSS_SELECTOR, "#results .exact")[1].text
        check(again == shown, "after the error the page analyses the next scan alike")

        # 200% zoom: a 640-pixel-wide window; nothing wider than it.
        driver.set_window_size(640, 1000)
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
        check(overflow <= 0, f"no sideways scrolling at 640 px ({overflow} px over)")
        shot("narrow")

        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"
                  and "/api/predict" not in e["message"]]  # the 400 is the test's own doing
        check(not errors, f"no console errors {errors}")
    finally:
        driver.quit()
    print(f"{len(failures)} browser check(s) failed" if failures else "browser checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
